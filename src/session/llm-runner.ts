// Runs one reply's LLM conversation, including tool rounds. Tool side effects wait for the commit
// gate: a speculative reply that gets cancelled never books anything.
import type { ChatMessage, LlmProvider, ToolCall } from '../providers/types.js';
import type { ToolOutcome, ToolRegistry } from '../tools/tool-registry.js';

export interface LlmRunHandlers {
  onText(text: string): void;
  onToolCall(call: ToolCall): void;
  onToolResult(call: ToolCall, outcome: ToolOutcome): void;
  onUsage(promptTokens: number, completionTokens: number): void;
}

export interface LlmRun {
  llm: LlmProvider;
  messages: ChatMessage[];
  tools: ToolRegistry;
  callId: string;
  turnId: string;
  signal: AbortSignal;
  /** Resolves when the turn is COMMITTED. */
  committed: Promise<void>;
  maxToolRounds?: number;
  handlers: LlmRunHandlers;
}

export async function runLlm(run: LlmRun): Promise<void> {
  const messages = [...run.messages];
  const specs = run.tools.size > 0 ? run.tools.specs() : undefined;
  const maxRounds = run.maxToolRounds ?? 5;
  for (let round = 0; ; round++) {
    let text = '';
    const calls: ToolCall[] = [];
    for await (const chunk of run.llm.stream({ messages, tools: round < maxRounds ? specs : undefined, signal: run.signal, turnId: run.turnId })) {
      if (run.signal.aborted) return;
      if (chunk.type === 'text') {
        text += chunk.text;
        run.handlers.onText(chunk.text);
      } else if (chunk.type === 'tool_call') {
        calls.push(chunk.call);
        run.handlers.onToolCall(chunk.call);
      } else {
        run.handlers.onUsage(chunk.promptTokens, chunk.completionTokens);
      }
    }
    // Past the tool-round limit tools are no longer offered; calls the model makes anyway are dropped.
    if (calls.length === 0 || run.signal.aborted || round >= maxRounds) return;
    await Promise.race([run.committed, aborted(run.signal)]);
    if (run.signal.aborted) return;
    messages.push({ role: 'assistant', content: text, toolCalls: calls });
    for (const call of calls) {
      const outcome = await run.tools.execute(call, { callId: run.callId, turnId: run.turnId, signal: run.signal });
      if (run.signal.aborted) return;
      run.handlers.onToolResult(call, outcome);
      messages.push({ role: 'tool', toolCallId: call.id, content: outcome.content });
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
