// Follows a bus stream for one reader: only entries of the reader's tenant get through, a call's
// stream stops after its call.ended, and stopping is safe from anywhere (a handler included) and
// before the subscription is even in place.
import type { BusEntry, EventBus, FromId, StreamSelector, Unsubscribe } from '../../bus/event-bus.js';
import type { CallBusEvent } from '../../bus/call-bus-event.js';

export type FollowSink = {
  /** Delivers one entry; the next waits until this resolves (backpressure). */
  deliver(entry: BusEntry<CallBusEvent>): Promise<void>;
  /** The followed call ended: the sink closes itself after the last entry. */
  ended(): void;
};

export type Following = { stop(): void };

export async function followStream(
  bus: EventBus<CallBusEvent>,
  stream: StreamSelector,
  fromId: FromId,
  tenantId: string,
  sink: FollowSink,
  options: { endWithCall: boolean },
): Promise<Following> {
  let stopped = false;
  let unsubscribe: Unsubscribe | null = null;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    // Never awaited: stop may be called from inside the handler, which unsubscribe waits for.
    if (unsubscribe) void unsubscribe().catch(() => undefined);
  };
  unsubscribe = await bus.subscribe({ ...stream, fromId }, async (entry) => {
    if (stopped || entry.payload.tenantId !== tenantId) return;
    await sink.deliver(entry);
    if (options.endWithCall && entry.payload.event.type === 'call.ended') {
      stop();
      sink.ended();
    }
  });
  if (stopped) void unsubscribe().catch(() => undefined);
  return { stop };
}
