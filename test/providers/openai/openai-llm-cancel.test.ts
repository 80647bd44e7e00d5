// Cancelling an OpenAiLlm stream: the iterator throws AbortedError and the HTTP request is closed at
// once — measured on the simulator's side, which must log the close as the client's within 50 ms.
import { performance } from 'node:perf_hooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimConnection } from '../../../sim/sim-control.js';
import type { SimServer } from '../../../sim/sim-server.js';
import { AbortedError, type LlmChunk } from '../../../src/providers/types.js';
import { llmFor, startSim, user, warmUpAbortPath } from './llm-harness.js';

const LONG = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');

let sim: SimServer | null = null;
beforeAll(warmUpAbortPath);
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function closedConnection(server: SimServer): Promise<SimConnection> {
  return server.control.waitFor(() => {
    const c = server.control.last('openai');
    return c?.closedAt != null ? c : undefined;
  }, 2000);
}

describe('cancellation', () => {
  it('abort mid-stream: AbortedError, and the simulator sees the client close within 50 ms', async () => {
    sim = await startSim({ latencies: { llmTtftMs: 10, llmTokensPerSecond: 40 }, reply: () => ({ text: LONG }) });
    const controller = new AbortController();
    const iterator = llmFor(sim).stream({ messages: user('talk'), signal: controller.signal })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect((first.value as LlmChunk).type).toBe('text');
    const abortedAt = performance.now();
    controller.abort();
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
    const connection = await closedConnection(sim);
    expect(connection.closedBy).toBe('client');
    expect(connection.closedAt! - abortedAt).toBeLessThanOrEqual(50);
    expect(connection.events.map((e) => e.type)).not.toContain('done');
  });

  it('abort while waiting for the first token closes the request too', async () => {
    sim = await startSim({ latencies: { llmTtftMs: 2000 } });
    const controller = new AbortController();
    const pending = (async () => {
      for await (const chunk of llmFor(sim!).stream({ messages: user('hi'), signal: controller.signal })) void chunk;
    })();
    await sim.control.waitFor(() => sim?.control.last('openai'));
    const abortedAt = performance.now();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    const connection = await closedConnection(sim);
    expect(connection.closedBy).toBe('client');
    expect(connection.closedAt! - abortedAt).toBeLessThanOrEqual(50);
  });

  it('abort while the consumer holds a chunk (not awaiting) still closes the request at once', async () => {
    sim = await startSim({ latencies: { llmTtftMs: 10, llmTokensPerSecond: 40 }, reply: () => ({ text: LONG }) });
    const controller = new AbortController();
    const iterator = llmFor(sim).stream({ messages: user('talk'), signal: controller.signal })[Symbol.asyncIterator]();
    await iterator.next();
    const abortedAt = performance.now();
    controller.abort();
    // Nobody calls next() yet: the close must not wait for the consumer.
    const connection = await closedConnection(sim);
    expect(connection.closedBy).toBe('client');
    expect(connection.closedAt! - abortedAt).toBeLessThanOrEqual(50);
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
  });

  it('an already aborted signal fails at once without a request', async () => {
    sim = await startSim();
    const controller = new AbortController();
    controller.abort();
    const iterator = llmFor(sim).stream({ messages: user('hi'), signal: controller.signal })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
    expect(sim.control.connections).toHaveLength(0);
  });

  it('breaking out of the loop closes the request', async () => {
    sim = await startSim({ latencies: { llmTtftMs: 10, llmTokensPerSecond: 40 }, reply: () => ({ text: LONG }) });
    let stoppedAt = 0;
    for await (const chunk of llmFor(sim).stream({ messages: user('talk'), signal: new AbortController().signal })) {
      void chunk;
      stoppedAt = performance.now();
      break;
    }
    const connection = await closedConnection(sim);
    expect(connection.closedBy).toBe('client');
    expect(connection.closedAt! - stoppedAt).toBeLessThanOrEqual(50);
  });
});
