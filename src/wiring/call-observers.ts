// What follows every call besides its transport: the store (through the write queue), the event
// bus, the resume state after each turn. Part of the composition root: it connects a session's
// timeline to the platform's concrete parts; none of them ever blocks the call.
import type { CallBusEvent } from '../bus/call-bus-event.js';
import type { EventBus } from '../bus/event-bus.js';
import type { SessionStateStore } from '../bus/session-state-store.js';
import { CallPersistence, type CallIdentity, type PersistenceCursor } from '../calls/call-persistence.js';
import type { CallResumeState } from '../calls/call-resume-state.js';
import type { Logger } from '../log.js';
import type { Session } from '../session/session.js';
import type { StoreWrite } from '../store/store-writes.js';
import type { WriteQueue } from '../store/write-queue.js';

export type CallObserverDeps = {
  writes: WriteQueue<StoreWrite>;
  bus: EventBus<CallBusEvent>;
  resumeStates: SessionStateStore<CallResumeState>;
  resumeTtlMs: number;
  wallTime: (at: number) => number;
  log: Logger;
  /** Whether a call that ended for this reason may still be resumed elsewhere (server shutdown). */
  resumableEnd: (reason: string) => boolean;
};

export function observeCall(
  session: Session,
  call: CallIdentity,
  deps: CallObserverDeps,
  options: { llm: { provider: string; model: string }; cursor?: PersistenceCursor },
): void {
  const persistence = new CallPersistence(call, {
    write: (w) => {
      try {
        deps.writes.enqueue(w);
      } catch (err) {
        deps.log.error({ err: String(err), write_kind: w.kind }, 'store write not queued');
      }
    },
    wallTime: deps.wallTime,
    llm: options.llm,
    cursor: options.cursor,
  });
  const saveState = () => {
    const state: CallResumeState = {
      tenantId: call.tenantId,
      agentId: call.agentId,
      agentVersion: call.agentVersion,
      transport: call.transport,
      caller: call.caller,
      history: [...session.chatContext],
      cursor: { ...persistence.cursor, generation: persistence.cursor.generation + 1 },
    };
    deps.resumeStates.save(call.callId, state, deps.resumeTtlMs).catch((err: unknown) => deps.log.warn({ err: String(err) }, 'resume state not saved'));
  };
  session.timeline.subscribe((event) => {
    persistence.handle(event);
    deps.bus.publish(call.callId, { tenantId: call.tenantId, agentId: call.agentId, event });
    if (event.type === 'call.started' || event.type === 'call.resumed' || event.type === 'turn.completed') saveState();
    if (event.type === 'call.ended') {
      if (deps.resumableEnd(event.reason)) saveState();
      else deps.resumeStates.delete(call.callId).catch((err: unknown) => deps.log.warn({ err: String(err) }, 'resume state not deleted'));
    }
  });
}
