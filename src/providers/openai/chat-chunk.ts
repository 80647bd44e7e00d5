// Reads one streamed chat completion chunk without trusting its shape. Compatible servers differ
// (Groq puts usage in `x_groq.usage`, vLLM sends `choices: null`, Azure can omit `delta`) and
// a misbehaving one can send any JSON at all: whatever is not understood reads as nothing.

export type ToolCallDelta = { index?: number; id?: string; name?: string; arguments?: string };

export type ChunkUsage = { promptTokens: number; completionTokens: number };

export type ChunkParts = {
  text: string;
  toolCalls: ToolCallDelta[];
  finishReason: string | null;
  usage: ChunkUsage | null;
};

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function readChunk(raw: unknown): ChunkParts {
  const parts: ChunkParts = { text: '', toolCalls: [], finishReason: null, usage: null };
  if (!isObject(raw)) return parts;
  parts.usage = usageOf(raw.usage) ?? (isObject(raw.x_groq) ? usageOf(raw.x_groq.usage) : null);
  const choices = Array.isArray(raw.choices) ? raw.choices.filter(isObject) : [];
  // We never ask for n > 1; a server that sends several choices gets its first one read.
  const choice = choices.find((c) => c.index === 0) ?? choices[0];
  if (!choice) return parts;
  if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') parts.finishReason = choice.finish_reason;
  const delta = isObject(choice.delta) ? choice.delta : {};
  if (typeof delta.content === 'string') parts.text += delta.content;
  // A refusal is what the model says instead of an answer: the caller should hear it.
  if (typeof delta.refusal === 'string') parts.text += delta.refusal;
  if (Array.isArray(delta.tool_calls)) parts.toolCalls = delta.tool_calls.filter(isObject).map(toolCallDelta);
  return parts;
}

function toolCallDelta(call: Json): ToolCallDelta {
  const fn = isObject(call.function) ? call.function : {};
  const delta: ToolCallDelta = {};
  if (typeof call.index === 'number' && Number.isInteger(call.index) && call.index >= 0) delta.index = call.index;
  if (typeof call.id === 'string' && call.id !== '') delta.id = call.id;
  if (typeof fn.name === 'string' && fn.name !== '') delta.name = fn.name;
  if (typeof fn.arguments === 'string') delta.arguments = fn.arguments;
  // Ollama's native API (and some proxies of it) give the arguments as an object.
  else if (isObject(fn.arguments)) delta.arguments = JSON.stringify(fn.arguments);
  return delta;
}

function usageOf(value: unknown): ChunkUsage | null {
  if (!isObject(value)) return null;
  const { prompt_tokens: prompt, completion_tokens: completion } = value;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return null;
  return { promptTokens: prompt, completionTokens: completion };
}
