// Tools the agent may call. Arguments are validated against a zod schema before the handler runs;
// a bad call becomes an error result the LLM can read and recover from, never an exception.
import { z } from 'zod';
import type { ToolCall, ToolSpec } from '../providers/types.js';

export type ToolContext = { callId: string; turnId: string; signal: AbortSignal };

export interface Tool<A = unknown> {
  name: string;
  description: string;
  schema: z.ZodType<A>;
  run(args: A, ctx: ToolContext): Promise<unknown>;
}

export type ToolOutcome = { ok: boolean; content: string };

export class ToolRegistry {
  private readonly tools = new Map<string, Tool<unknown>>();

  register<A>(tool: Tool<A>): this {
    this.tools.set(tool.name, tool as Tool<unknown>);
    return this;
  }

  get size(): number {
    return this.tools.size;
  }

  specs(): ToolSpec[] {
    return [...this.tools.values()].map((t) => ({
      name: t.name,
      description: t.description,
      parameters: z.toJSONSchema(t.schema) as Record<string, unknown>,
    }));
  }

  async execute(call: ToolCall, ctx: ToolContext): Promise<ToolOutcome> {
    const tool = this.tools.get(call.name);
    if (!tool) return fail(`unknown tool "${call.name}"`);
    let raw: unknown;
    try {
      raw = call.arguments.trim() ? JSON.parse(call.arguments) : {};
    } catch {
      return fail(`arguments of ${call.name} are not valid JSON`);
    }
    const parsed = tool.schema.safeParse(raw);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
      return fail(`invalid arguments for ${call.name}: ${why}`);
    }
    try {
      const result = await tool.run(parsed.data, ctx);
      return { ok: true, content: typeof result === 'string' ? result : JSON.stringify(result ?? null) };
    } catch (err) {
      return fail(`${call.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function fail(message: string): ToolOutcome {
  return { ok: false, content: JSON.stringify({ error: message }) };
}
