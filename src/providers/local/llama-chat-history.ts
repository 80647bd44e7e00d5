// Parley's chat messages in node-llama-cpp's chat history form. An assistant turn's tool calls
// become function-call items of that model response, with the results the later `tool` messages
// carry (node-llama-cpp renders calls and results together, in the model's own chat template).
import type { ChatMessage, ToolSpec } from '../types.js';
import type { LlamaChatHistoryItem, LlamaFunctionCallItem, LlamaFunctions } from './llama-runtime.js';

/** The history to generate from: the messages, then an empty model response for the reply. */
export function toLlamaHistory(messages: readonly ChatMessage[]): LlamaChatHistoryItem[] {
  const results = new Map<string, string>();
  for (const m of messages) if (m.role === 'tool') results.set(m.toolCallId, m.content);
  const answered = new Set<string>();
  const history: LlamaChatHistoryItem[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        history.push({ type: 'system', text: m.content });
        break;
      case 'user':
        history.push({ type: 'user', text: m.content });
        break;
      case 'assistant': {
        const response: Array<string | LlamaFunctionCallItem> = m.content ? [m.content] : [];
        (m.toolCalls ?? []).forEach((call, i) => {
          answered.add(call.id);
          response.push({ type: 'functionCall', name: call.name, params: parseArguments(call.arguments), result: results.get(call.id) ?? null, ...(i === 0 ? { startsNewChunk: true } : {}) });
        });
        history.push({ type: 'model', response });
        break;
      }
      case 'tool':
        // A result whose call is not in the history still tells the model something: keep it as text.
        if (!answered.has(m.toolCallId)) history.push({ type: 'user', text: `Tool result (${m.toolCallId}): ${m.content}` });
        break;
    }
  }
  history.push({ type: 'model', response: [] });
  return history;
}

export function toLlamaFunctions(tools: readonly ToolSpec[] | undefined): LlamaFunctions | undefined {
  if (!tools || tools.length === 0) return undefined;
  return Object.fromEntries(tools.map((t) => [t.name, { description: t.description, params: t.parameters }]));
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
