// Shared by the OpenAiLlm tests: a simulator with fast pacing, an adapter pointed at it, and a
// collector that keeps what arrived before a failure.
import { OpenAiLlm, type OpenAiLlmOptions } from '../../../src/providers/openai/openai-llm.js';
import type { ChatMessage, LlmChunk, ToolSpec } from '../../../src/providers/types.js';
import { startSimServer, type SimServer, type SimServerOptions } from '../../../sim/sim-server.js';

export const TIME_TOOL: ToolSpec = {
  name: 'get_current_time',
  description: 'The current time in a timezone',
  parameters: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] },
};

export async function startSim(options: SimServerOptions = {}): Promise<SimServer> {
  return startSimServer({ ...options, latencies: { llmTtftMs: 10, llmTokensPerSecond: 1000, ...options.latencies } });
}

export function llmFor(sim: SimServer, options: Partial<OpenAiLlmOptions> = {}): OpenAiLlm {
  return new OpenAiLlm({ apiKey: sim.control.keys.openai, baseUrl: `${sim.httpUrl}/v1`, model: 'sim-model', ...options });
}

export type Outcome = { chunks: LlmChunk[]; error: unknown };

export async function run(llm: OpenAiLlm, messages: ChatMessage[], tools?: ToolSpec[], signal = new AbortController().signal): Promise<Outcome> {
  const chunks: LlmChunk[] = [];
  try {
    for await (const chunk of llm.stream({ messages, tools, signal })) chunks.push(chunk);
    return { chunks, error: null };
  } catch (error) {
    return { chunks, error };
  }
}

export const textOf = (chunks: LlmChunk[]): string => chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');

export const user = (content: string): ChatMessage[] => [{ role: 'user', content }];

/**
 * Runs one abort through the whole path (SDK, undici, our adapter) before timing one. The first
 * abort in a process formats an error stack, and with source maps on (as under vitest/tsx) that
 * parses the maps of every module on the stack: tens of ms, once. Timed tests measure the
 * steady state, which is what a running agent sees.
 */
export async function warmUpAbortPath(): Promise<void> {
  const sim = await startSim({ latencies: { llmTtftMs: 5, llmTokensPerSecond: 200 }, reply: () => ({ text: 'one two three four five six seven eight' }) });
  try {
    const controller = new AbortController();
    const iterator = llmFor(sim).stream({ messages: user('warm up'), signal: controller.signal })[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await iterator.next().catch(() => undefined);
    await sim.control.waitFor(() => (sim.control.last('openai')?.closedAt != null ? true : undefined));
  } finally {
    await sim.close();
  }
}
