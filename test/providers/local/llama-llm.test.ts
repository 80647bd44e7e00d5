// LlamaLlm against the real node-llama-cpp runtime in runtimes/. No real model exists on this
// machine, so the generation tests run on a tiny random-weight llama GGUF written by the test
// (llama-tiny-gguf.ts): it exercises the real loading, tokenizing, native evaluation, streaming,
// abort and usage paths, but its words are noise, so nothing here says anything about answer quality.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppointmentStore } from '../../../src/appointments/appointment-store.js';
import { registerAppointmentTools } from '../../../src/appointments/appointment-tools.js';
import { LlamaLlm } from '../../../src/providers/local/llama-llm.js';
import { loadLlamaRuntime } from '../../../src/providers/local/llama-runtime.js';
import { LocalModelError } from '../../../src/providers/local/local-runtime-model-file.js';
import { RUNTIMES_INSTALL_COMMAND, runtimesDir } from '../../../src/providers/local/local-runtime.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { AbortedError, type LlmChunk, type LlmRequest } from '../../../src/providers/types.js';
import { currentTimeTool } from '../../../src/tools/builtin-tools.js';
import { ToolRegistry } from '../../../src/tools/tool-registry.js';
import { SMALL_SHAPE, TINY_WORDS, tinyLlamaGguf, writeTinyLlamaGguf } from './llama-tiny-gguf.js';

let dir: string;
let tinyModel: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-llama-'));
  tinyModel = writeTinyLlamaGguf(join(dir, 'tiny.gguf'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ask = (text: string, signal = new AbortController().signal): LlmRequest => ({
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: text },
  ],
  signal,
});

async function collect(iterable: AsyncIterable<LlmChunk>): Promise<LlmChunk[]> {
  const chunks: LlmChunk[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

async function failure(iterable: AsyncIterable<LlmChunk>): Promise<unknown> {
  try {
    await collect(iterable);
  } catch (err) {
    return err;
  }
  throw new Error('expected the stream to fail');
}

describe('llama runtime', () => {
  it('loads node-llama-cpp from runtimes/ with the CPU backend and no build', async () => {
    const { llama, module } = await loadLlamaRuntime();
    expect(llama.cpuMathCores).toBeGreaterThan(0);
    expect(typeof module.LlamaChat).toBe('function');
    expect(runtimesDir()).toMatch(/runtimes$/);
  });

  it('names the install command when the runtimes folder has no node-llama-cpp', async () => {
    const empty = join(dir, 'empty-runtimes');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'package.json'), '{}');
    const err = await failure(new LlamaLlm({ modelPath: tinyModel, runtimesDir: empty }).stream(ask('hello')));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('runtime_missing');
    expect((err as ProviderError).kind).toBe('bad_request');
    expect((err as Error).message).toContain('node-llama-cpp');
    expect((err as Error).message).toContain(RUNTIMES_INSTALL_COMMAND);
  });
});

describe('llama model file errors', () => {
  it('no path names LLM_MODEL_PATH', () => {
    expect(() => new LlamaLlm({})).toThrow(LocalModelError);
    expect(() => new LlamaLlm({ modelPath: ' ' })).toThrow(/no model file given: set LLM_MODEL_PATH to the path of a GGUF model file/);
  });

  it('a missing file, a directory and an empty file are told apart', () => {
    expect(() => new LlamaLlm({ modelPath: join(dir, 'nope.gguf') })).toThrow(/nope\.gguf \(LLM_MODEL_PATH\) does not exist; it must name a GGUF model file/);
    expect(() => new LlamaLlm({ modelPath: dir })).toThrow(/is a directory/);
    const empty = join(dir, 'empty.gguf');
    writeFileSync(empty, '');
    expect(() => new LlamaLlm({ modelPath: empty })).toThrow(/is empty/);
  });

  it('a file that is not GGUF fails with the loader reason, the path and what is expected', async () => {
    const err = await failure(new LlamaLlm({ modelPath: '/etc/hostname' }).stream(ask('hello')));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('model_load_failed');
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/cannot load \/etc\/hostname \(LLM_MODEL_PATH\): Invalid GGUF magic\. Expected "GGUF" but got "[^\n]*"; it must be a GGUF model file/);
  });

  it('a GGUF file cut short fails cleanly instead of crashing the process', async () => {
    const cut = join(dir, 'cut.gguf');
    writeFileSync(cut, tinyLlamaGguf().subarray(0, 4096));
    const err = await failure(new LlamaLlm({ modelPath: cut }).stream(ask('hello')));
    expect((err as ProviderError).code).toBe('model_load_failed');
    expect((err as Error).message).toContain(cut);
  });
});

describe('LlamaLlm on a tiny generated GGUF', () => {
  let llm: LlamaLlm;

  beforeAll(async () => {
    llm = new LlamaLlm({ modelPath: tinyModel, temperature: 0, maxTokens: 24, contextSize: 512, threads: 1 });
    await llm.load();
  });

  afterAll(async () => {
    await llm.close();
  });

  it('streams text chunks, then usage with the prompt and generated token counts', async () => {
    const chunks = await collect(llm.stream(ask('hello the cat sat on the mat')));
    const texts = chunks.filter((c) => c.type === 'text').map((c) => c.text);
    expect(texts.length).toBeGreaterThan(1);
    // Only whole words have output weights in the tiny model.
    for (const word of texts.join('').trim().split(/\s+/)) expect(TINY_WORDS).toContain(word);
    const usage = chunks[chunks.length - 1];
    expect(usage.type).toBe('usage');
    if (usage.type !== 'usage') return;
    expect(usage.completionTokens).toBe(24);
    expect(usage.promptTokens).toBeGreaterThan(7);
    expect(chunks.filter((c) => c.type === 'usage')).toHaveLength(1);
  });

  it('is deterministic at temperature 0 and keeps requests apart (one context each)', async () => {
    const [a, b] = await Promise.all([collect(llm.stream(ask('red blue green'))), collect(llm.stream(ask('red blue green')))]);
    const text = (chunks: LlmChunk[]) => chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    expect(text(a)).toBe(text(b));
    expect(text(a).length).toBeGreaterThan(0);
  });

  it('abort stops generation at once: AbortedError, and the native side produces no more tokens', async () => {
    const long = new LlamaLlm({ modelPath: tinyModel, temperature: 0, maxTokens: 400, contextSize: 1024, threads: 1 });
    const controller = new AbortController();
    let texts = 0;
    let atAbort = -1;
    const err = await (async () => {
      try {
        for await (const chunk of long.stream(ask('hello', controller.signal))) {
          if (chunk.type === 'text' && ++texts === 5) {
            atAbort = long.generatedTokens;
            controller.abort();
          }
        }
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(AbortedError);
    expect(texts).toBe(5);
    // At most the token being sampled when the signal fired completes after it.
    const settled = long.generatedTokens;
    expect(settled - atAbort).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(long.generatedTokens).toBe(settled);
    expect(settled).toBeLessThan(400);
    await long.close();
  });

  it('a consumer that stops reading early stops the generation too', async () => {
    const long = new LlamaLlm({ modelPath: tinyModel, temperature: 0, maxTokens: 400, contextSize: 1024, threads: 1 });
    let texts = 0;
    for await (const chunk of long.stream(ask('hello'))) {
      if (chunk.type === 'text' && ++texts === 3) break;
    }
    const settled = long.generatedTokens;
    await new Promise((r) => setTimeout(r, 300));
    expect(long.generatedTokens).toBe(settled);
    expect(settled).toBeLessThan(10);
    await long.close();
  });

  it('an already aborted request throws AbortedError without generating', async () => {
    const controller = new AbortController();
    controller.abort();
    const before = llm.generatedTokens;
    expect(await failure(llm.stream(ask('hello', controller.signal)))).toBeInstanceOf(AbortedError);
    expect(llm.generatedTokens).toBe(before);
  });

  it("offers Parley's real tool schemas through node-llama-cpp function calling, and replays tool calls and results", async () => {
    const registry = new ToolRegistry();
    registry.register(currentTimeTool);
    const store = new AppointmentStore(':memory:');
    registerAppointmentTools(registry, store);
    // The function descriptions take room in the prompt, and the tiny vocabulary spells most of it
    // byte by byte: a model and context of 8192 tokens.
    const roomy = writeTinyLlamaGguf(join(dir, 'roomy.gguf'), { ...SMALL_SHAPE, contextLength: 8192 });
    const withTools = new LlamaLlm({ modelPath: roomy, temperature: 0, maxTokens: 16, contextSize: 8192, threads: 1 });
    const messages: LlmRequest['messages'] = [
      { role: 'system', content: 'You book appointments.' },
      { role: 'user', content: 'what time is it' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: currentTimeTool.name, arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: '{"time":"10:00"}' },
      { role: 'user', content: 'thanks' },
    ];
    const chunks = await collect(withTools.stream({ messages, tools: registry.specs(), signal: new AbortController().signal }));
    const plain = await collect(withTools.stream({ messages: messages.slice(0, 2), signal: new AbortController().signal }));
    store.close();
    await withTools.close();
    // The random model may answer in words or try a call; either way the request completes with usage,
    // and the prompt grew by the functions' documentation and the replayed call and result.
    const usage = chunks[chunks.length - 1];
    const plainUsage = plain[plain.length - 1];
    if (usage.type !== 'usage' || plainUsage.type !== 'usage') throw new Error('usage must come last');
    expect(usage.promptTokens).toBeGreaterThan(plainUsage.promptTokens + 500);
    for (const c of chunks) if (c.type === 'tool_call') expect(registry.specs().map((s) => s.name)).toContain(c.call.name);
  });
});

describe('LlamaLlm keeps the event loop free', () => {
  it('native evaluation runs off the JS thread: low event-loop utilization while generating', async () => {
    // Wider layers so each token costs real native compute (several ms), next to a little JS per token.
    const path = writeTinyLlamaGguf(join(dir, 'wide.gguf'), { nEmbd: 1024, nLayer: 2, nHead: 8, nFf: 4096, contextLength: 1024 }, 7);
    const wide = new LlamaLlm({ modelPath: path, temperature: 0, maxTokens: 32, contextSize: 512, threads: 1 });
    await wide.load();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const startElu = performance.eventLoopUtilization();
    const started = performance.now();
    const chunks = await collect(wide.stream(ask('hello the cat')));
    const elapsed = performance.now() - started;
    const elu = performance.eventLoopUtilization(startElu);
    clearInterval(timer);
    await wide.close();
    console.log(`llama wide model: ${chunks.length} chunks in ${elapsed.toFixed(0)} ms, event-loop utilization ${elu.utilization.toFixed(3)}, ${ticks} timer ticks`);
    expect(chunks[chunks.length - 1]).toMatchObject({ type: 'usage', completionTokens: 32 });
    // Were the evaluation on the JS thread, utilization would be close to 1 and the timer starved.
    expect(elu.utilization).toBeLessThan(0.5);
    expect(ticks).toBeGreaterThan(5);
  });
});
