// Follows a flow agent's call: after each turn, where the flow stands goes on the call's timeline
// (`flow.state`), and once the flow reached an end node, whose words have now been played, the
// call ends — or, at a hand-off node of a call that can be transferred, goes to a person.
import type { Clock } from '../clock.js';
import type { Session } from '../session/session.js';
import type { FlowLlm } from './flow-llm.js';

export type FlowFollowOptions = {
  /**
   * Transfers the caller to a person at a hand-off node; resolves false when it could not (the
   * call then ends as before). Absent: hand-off nodes end the call.
   */
  handOver?: () => Promise<boolean>;
};

export function followFlow(session: Session, flow: FlowLlm, clock: Clock, options: FlowFollowOptions = {}): void {
  session.timeline.subscribe((e) => {
    if (e.type !== 'turn.completed' || session.hasEnded) return;
    // Deferred until every subscriber has seen the completed turn, so a client gets the turn,
    // then the flow state, then the end of the call.
    queueMicrotask(() => {
      if (session.hasEnded) return;
      const state = flow.inspect(session.chatContext);
      session.timeline.emit({
        type: 'flow.state',
        callId: session.id,
        at: clock.now(),
        turnId: e.turn.turnId,
        node: state.node,
        slots: state.slots,
        ended: state.ended,
        handoff: state.handoff,
      });
      if (!state.ended) return;
      const handOver = state.handoff ? options.handOver : undefined;
      if (!handOver) {
        session.end(state.handoff ? 'handed over to a person' : 'conversation finished');
        return;
      }
      void handOver()
        .catch(() => false)
        .then((ok) => {
          if (!ok && !session.hasEnded) session.end('handed over to a person');
        });
    });
  });
}
