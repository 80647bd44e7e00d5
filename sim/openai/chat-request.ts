// Reads a chat completions request body the way OpenAI validates it, and turns its messages into
// Parley's ChatMessage so the simulator's reply function can answer them.
import type { ChatMessage, ToolCall } from '../../src/providers/types.js';

export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  toolNames: string[];
  stream: boolean;
  includeUsage: boolean;
  /** Sampling and length settings as sent, for tests to check (the simulator ignores them). */
  settings: Record<string, unknown>;
};

/** A request OpenAI would refuse with 400 `invalid_request_error`. */
export class InvalidChatRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseChatRequest(raw: Buffer): ChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidChatRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
      null,
    );
  }
  if (!isObject(body)) throw new InvalidChatRequest('The request body must be a JSON object.', null);
  if (typeof body.model !== 'string' || body.model === '') {
    throw new InvalidChatRequest('you must provide a model parameter', 'model', 'missing_required_parameter');
  }
  if (!Array.isArray(body.messages)) {
    throw new InvalidChatRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  if (body.messages.length === 0) {
    throw new InvalidChatRequest("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages', 'empty_array');
  }
  const messages = body.messages.map((m, i) => toChatMessage(m, i));
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const toolNames = tools.map((t, i) => {
    const name = isObject(t) && isObject(t.function) ? t.function.name : undefined;
    if (typeof name !== 'string' || name === '') {
      throw new InvalidChatRequest(`Missing required parameter: 'tools[${i}].function.name'.`, `tools[${i}].function.name`, 'missing_required_parameter');
    }
    return name;
  });
  const streamOptions = isObject(body.stream_options) ? body.stream_options : {};
  return {
    model: body.model,
    messages,
    toolNames,
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
    settings: Object.fromEntries(
      ['temperature', 'max_tokens', 'max_completion_tokens', 'tool_choice', 'parallel_tool_calls'].filter((k) => body[k] !== undefined).map((k) => [k, body[k]]),
    ),
  };
}

function toChatMessage(value: unknown, index: number): ChatMessage {
  if (!isObject(value)) throw new InvalidChatRequest(`Invalid type for 'messages[${index}]': expected an object.`, `messages[${index}]`);
  const content = textOf(value.content);
  switch (value.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content };
    case 'user':
      return { role: 'user', content };
    case 'assistant': {
      const calls = Array.isArray(value.tool_calls) ? value.tool_calls.map((c, j) => toToolCall(c, index, j)) : [];
      return calls.length > 0 ? { role: 'assistant', content, toolCalls: calls } : { role: 'assistant', content };
    }
    case 'tool':
      if (typeof value.tool_call_id !== 'string') {
        throw new InvalidChatRequest(`Missing required parameter: 'messages[${index}].tool_call_id'.`, `messages[${index}].tool_call_id`, 'missing_required_parameter');
      }
      return { role: 'tool', toolCallId: value.tool_call_id, content };
    default:
      throw new InvalidChatRequest(
        `Invalid value: '${String(value.role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function', and 'developer'.`,
        `messages[${index}].role`,
        'invalid_value',
      );
  }
}

function toToolCall(value: unknown, index: number, j: number): ToolCall {
  const fn = isObject(value) && isObject(value.function) ? value.function : null;
  if (!isObject(value) || !fn || typeof value.id !== 'string' || typeof fn.name !== 'string') {
    throw new InvalidChatRequest(`Invalid 'messages[${index}].tool_calls[${j}]': expected id and function.name.`, `messages[${index}].tool_calls[${j}]`);
  }
  return { id: value.id, name: fn.name, arguments: typeof fn.arguments === 'string' ? fn.arguments : '' };
}

/** Content is a string, null (assistant with tool calls), or an array of parts of which we keep the text. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
  }
  return '';
}
