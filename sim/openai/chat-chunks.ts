// What a chat completion stream carries, chunk by chunk, for each OpenAI-compatible dialect:
//   openai  role chunk, content tokens, tool calls as an id+name fragment then argument fragments
//           split at arbitrary points, finish chunk, usage chunk (`choices: []`) when asked for.
//   ollama  every chunk has `delta.role`; each tool call arrives whole in one delta; `fp_ollama`.
//   groq    OpenAI's shape plus `x_groq`; usage rides on the last chunk as `x_groq.usage`.
//   vllm    OpenAI's shape; the usage chunk has `choices: null`.
// Pure planning: the route decides when each chunk goes out (slot k = k-th token time).
import type { OpenAiDialect } from '../sim-control.js';
import type { SimReply } from '../sim-replies.js';
import { argumentsText, tokenize } from '../sim-replies.js';

export type PlannedChunk = { slot: number; data: Record<string, unknown> };

export type ChatUsage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export type ChatPlan = {
  chunks: PlannedChunk[];
  usage: ChatUsage;
  /** Slots the body takes (the last chunk's slot + 1). */
  slots: number;
};

type PlannedCall = { id: string; name: string; arguments: string };

export type PlanOptions = { dialect: OpenAiDialect; model: string; includeUsage: boolean; promptTokens: number };

export function planChatStream(reply: SimReply, options: PlanOptions): ChatPlan {
  const { dialect, model } = options;
  const id = dialect === 'ollama' ? `chatcmpl-${Math.floor(Math.random() * 1000)}` : `chatcmpl-${randomId(24)}`;
  const created = Math.floor(Date.now() / 1000);
  const roleInEvery = dialect === 'ollama';
  const envelope = (choices: unknown[] | null, extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const chunk: Record<string, unknown> = { id, object: 'chat.completion.chunk', created, model };
    if (dialect === 'openai') Object.assign(chunk, { service_tier: 'default', system_fingerprint: 'fp_sim0001' });
    if (dialect === 'ollama') chunk.system_fingerprint = 'fp_ollama';
    chunk.choices = choices;
    if (dialect === 'openai' && options.includeUsage) chunk.usage = null;
    return Object.assign(chunk, extra);
  };
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    index: 0,
    delta: roleInEvery ? { role: 'assistant', content: '', ...delta } : delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  const chunks: PlannedChunk[] = [];
  let slot = 0;
  if (!roleInEvery) {
    const first = envelope([choice({ role: 'assistant', content: '', refusal: null })]);
    if (dialect === 'groq') first.x_groq = { id: `req_${randomId(26)}` };
    chunks.push({ slot: 0, data: first });
  }
  let completionTokens = 0;
  let finishReason: 'stop' | 'tool_calls';
  if ('text' in reply) {
    finishReason = 'stop';
    for (const token of tokenize(reply.text)) {
      chunks.push({ slot: slot++, data: envelope([choice({ content: token })]) });
      completionTokens++;
    }
  } else {
    finishReason = 'tool_calls';
    const calls: PlannedCall[] = reply.toolCalls.map((c) => ({ id: `call_${randomId(24)}`, name: c.name, arguments: argumentsText(c.arguments) }));
    calls.forEach((call, index) => {
      if (dialect === 'ollama') {
        const whole = { id: call.id, index, type: 'function', function: { name: call.name, arguments: call.arguments } };
        chunks.push({ slot: slot++, data: envelope([choice({ tool_calls: [whole] })]) });
        completionTokens += Math.max(1, Math.ceil(call.arguments.length / 4));
        return;
      }
      const head = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
      chunks.push({ slot: slot++, data: envelope([choice({ tool_calls: [head] })]) });
      for (const piece of splitArbitrarily(call.arguments)) {
        chunks.push({ slot: slot++, data: envelope([choice({ tool_calls: [{ index, function: { arguments: piece } }] })]) });
        completionTokens++;
      }
    });
  }
  const last = Math.max(0, slot - 1);
  const usage: ChatUsage = {
    prompt_tokens: options.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: options.promptTokens + completionTokens,
  };
  const finish = envelope([choice({}, finishReason)]);
  if (dialect === 'groq') {
    // Groq's timing figures are made up but shaped like the real ones (seconds).
    finish.x_groq = { id: `req_${randomId(26)}`, usage: { queue_time: 0.01, prompt_time: 0.002, completion_time: 0.05, total_time: 0.062, ...usage } };
  }
  chunks.push({ slot: last, data: finish });
  if (options.includeUsage && dialect !== 'groq') {
    const detailed =
      dialect === 'openai'
        ? { ...usage, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } }
        : usage;
    chunks.push({ slot: last, data: envelope(dialect === 'vllm' ? null : [], { usage: detailed }) });
  }
  return { chunks, usage, slots: last + 1 };
}

/** The non-streaming `chat.completion` object for the same reply. */
export function completionOf(reply: SimReply, model: string, promptTokens: number): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: null, refusal: null };
  let completionTokens: number;
  let finishReason: string;
  if ('text' in reply) {
    message.content = reply.text;
    completionTokens = tokenize(reply.text).length;
    finishReason = 'stop';
  } else {
    message.tool_calls = reply.toolCalls.map((c) => ({ id: `call_${randomId(24)}`, type: 'function', function: { name: c.name, arguments: argumentsText(c.arguments) } }));
    completionTokens = reply.toolCalls.reduce((n, c) => n + Math.ceil(argumentsText(c.arguments).length / 4), 0);
    finishReason = 'tool_calls';
  }
  return {
    id: `chatcmpl-${randomId(24)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    system_fingerprint: 'fp_sim0001',
  };
}

/** Pieces of 1..7 characters, so JSON tokens, escapes and keys get cut anywhere. */
export function splitArbitrarily(text: string): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; ) {
    const size = 1 + Math.floor(Math.random() * 7);
    pieces.push(text.slice(at, at + size));
    at += size;
  }
  return pieces;
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}
