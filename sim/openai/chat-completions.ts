// POST /v1/chat/completions: validates the request, asks SimControl.reply for the answer and sends
// it as a chat.completion, or as SSE paced like a model (first token at llmTtftMs, then
// llmTokensPerSecond). Faults: `malformed` puts a `data: {not json` line mid-stream; `slow` stretches
// the pacing; `drop` is cut by the server core (we only stop writing once the response closed).
// openAiSimExtras(control).midStreamErrors makes streams end half-way with a `data: {"error": …}`.
import { performance } from 'node:perf_hooks';
import type { HttpContext } from '../sim-server.js';
import { sendJson } from '../sim-server.js';
import { tokenize } from '../sim-replies.js';
import type { ChatMessage } from '../../src/providers/types.js';
import { completionOf, planChatStream } from './chat-chunks.js';
import { InvalidChatRequest, parseChatRequest } from './chat-request.js';
import { openAiErrorBody, requestId, sendInvalidRequest } from './openai-errors.js';
import { openAiSimExtras } from './openai-sim-extras.js';
import { closeWatcher } from './close-watcher.js';

export async function handleChatCompletions(ctx: HttpContext): Promise<void> {
  const { req, res, control, connection, fault } = ctx;
  const retryCount = req.headers['x-stainless-retry-count'];
  if (typeof retryCount === 'string') control.event(connection, 'retry_count', retryCount);
  const startedAt = performance.now();
  const raw = await ctx.body();
  let request;
  try {
    request = parseChatRequest(raw);
  } catch (err) {
    if (err instanceof InvalidChatRequest) return sendInvalidRequest(res, err.message, err.param, err.code);
    throw err;
  }
  control.event(
    connection,
    'request',
    JSON.stringify({ model: request.model, stream: request.stream, includeUsage: request.includeUsage, tools: request.toolNames, ...request.settings }),
  );
  const reply = control.reply(request.messages, request.toolNames);
  const promptTokens = countPromptTokens(request.messages);
  const latencies = control.latenciesFor(fault);
  const closed = closeWatcher(res);
  const tokenMs = 1000 / latencies.llmTokensPerSecond;

  if (!request.stream) {
    const completion = completionOf(reply, request.model, promptTokens);
    const usage = completion.usage as { completion_tokens: number };
    await closed.sleepUntil(startedAt + latencies.llmTtftMs + usage.completion_tokens * tokenMs);
    if (closed.isClosed()) return;
    if (fault?.type === 'malformed') {
      control.event(connection, 'malformed');
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId() });
      res.end('{not json');
      return;
    }
    sendJson(res, 200, completion, { 'x-request-id': requestId() });
    return;
  }

  const plan = planChatStream(reply, {
    dialect: control.openAiDialect,
    model: request.model,
    includeUsage: request.includeUsage,
    promptTokens,
  });
  const extras = openAiSimExtras(control);
  const failMidStream = extras.midStreamErrors > 0;
  if (failMidStream) extras.midStreamErrors--;
  const midpoint = Math.max(1, Math.floor(plan.chunks.length / 2));

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': requestId(),
  });
  res.flushHeaders();
  for (let i = 0; i < plan.chunks.length; i++) {
    const chunk = plan.chunks[i];
    await closed.sleepUntil(startedAt + latencies.llmTtftMs + chunk.slot * tokenMs);
    if (closed.isClosed()) return;
    if (i === midpoint && fault?.type === 'malformed') {
      control.event(connection, 'malformed');
      res.write('data: {not json\n\n');
    }
    if (i === midpoint && failMidStream) {
      control.event(connection, 'stream_error');
      const body = openAiErrorBody('The server had an error while processing your request. Sorry about that!', { type: 'server_error' });
      res.end(`data: ${body}\n\n`);
      return;
    }
    res.write(`data: ${JSON.stringify(chunk.data)}\n\n`);
  }
  if (closed.isClosed()) return;
  control.event(connection, 'done');
  res.end('data: [DONE]\n\n');
}

function countPromptTokens(messages: ChatMessage[]): number {
  // Roughly what tiktoken counts: the words plus a few tokens of framing per message.
  return messages.reduce((n, m) => n + 3 + tokenize(m.content).length, 3);
}
