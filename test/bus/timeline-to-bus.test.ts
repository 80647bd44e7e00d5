// The wiring the server will do: a call's Timeline published to the bus, followed elsewhere.
import { afterAll, describe, expect, it } from 'vitest';
import type { EventBus } from '../../src/bus/event-bus.js';
import { MemoryEventBus } from '../../src/bus/memory-bus.js';
import { MemoryStreamStore } from '../../src/bus/memory-stream.js';
import { RedisEventBus } from '../../src/bus/redis-bus.js';
import { Timeline, type TimelineEvent } from '../../src/session/timeline.js';
import { deleteKeys, REDIS_URL, testPrefix, until } from './backends.js';

const prefix = testPrefix();
const memoryStore = new MemoryStreamStore<TimelineEvent>();
const makers: [string, () => EventBus<TimelineEvent>][] = [
  ['memory', () => new MemoryEventBus<TimelineEvent>({ store: memoryStore })],
  ['redis', () => new RedisEventBus<TimelineEvent>({ url: REDIS_URL, prefix, blockMs: 50 })],
];

describe.each(makers)('timeline to bus (%s)', (_name, make) => {
  afterAll(() => deleteKeys(prefix));

  it('a follower on another bus instance sees the call\'s timeline events as they were emitted', async () => {
    const server = make();
    const follower = make();
    const timeline = new Timeline();
    const stop = timeline.subscribe((event) => server.publish(event.callId, event));
    const seen: TimelineEvent[] = [];
    await follower.subscribe({ callId: 'call-42' }, (e) => void seen.push(e.payload));
    const events: TimelineEvent[] = [
      { callId: 'call-42', at: 1000, type: 'call.started', agent: 'receptionist', inputSampleRate: 16000, outputSampleRate: 24000 },
      { callId: 'call-42', at: 1200, type: 'stt.final', text: 'book me for tuesday', confidence: 0.91 },
      { callId: 'call-42', at: 1300, type: 'turn.state', from: 'LISTENING', to: 'COMMITTED', reason: 'eou' },
      { callId: 'call-42', at: 1900, type: 'call.ended', reason: 'hangup', usage: null },
    ];
    for (const e of events) timeline.emit(e);
    await until(() => seen.length === events.length, 'the timeline on the follower');
    expect(seen).toEqual(events);
    stop();
    await server.close();
    await follower.close();
  });
});
