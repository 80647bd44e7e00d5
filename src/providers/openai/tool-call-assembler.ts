// Builds whole tool calls from streamed deltas. OpenAI, vLLM and Groq send an id+name fragment and
// then argument fragments that share its `index`; Ollama sends each call whole in one delta. Both
// come out the same. Arguments are passed on as received (the tool registry validates them).
import { ProviderError } from '../provider-error.js';
import type { ToolCall } from '../types.js';
import type { ToolCallDelta } from './chat-chunk.js';

type PendingCall = { id?: string; name?: string; arguments: string };

export class ToolCallAssembler {
  /** Keyed by the server's index (or one we give when it sends none); kept in arrival order. */
  private readonly calls = new Map<number, PendingCall>();
  /** Server index -> our key, for an index the server reused for a second call. */
  private readonly aliases = new Map<number, number>();
  private lastKey: number | null = null;
  private nextFreeKey = 0;

  constructor(private readonly provider: string) {}

  get size(): number {
    return this.calls.size;
  }

  add(delta: ToolCallDelta): void {
    const key = this.keyFor(delta);
    let call = this.calls.get(key);
    if (!call) {
      call = { arguments: '' };
      this.calls.set(key, call);
      this.nextFreeKey = Math.max(this.nextFreeKey, key + 1);
    }
    this.lastKey = key;
    if (delta.id !== undefined && call.id === undefined) call.id = delta.id;
    if (delta.name !== undefined && call.name === undefined) call.name = delta.name;
    if (delta.arguments !== undefined) call.arguments += delta.arguments;
  }

  /** The calls so far, in order. Throws a protocol error for a call that never got a name. */
  complete(): ToolCall[] {
    let n = 0;
    return [...this.calls.values()].map((call) => {
      n++;
      if (call.name === undefined) {
        throw new ProviderError(this.provider, 'protocol', `tool call ${n} arrived without a function name`, { code: 'tool_call_without_name' });
      }
      // Calls of tools without parameters can come with no argument text at all.
      return { id: call.id ?? `call_${n}`, name: call.name, arguments: call.arguments === '' ? '{}' : call.arguments };
    });
  }

  private keyFor(delta: ToolCallDelta): number {
    if (delta.index !== undefined) {
      const key = this.aliases.get(delta.index) ?? delta.index;
      const existing = this.calls.get(key);
      // Some servers number every whole call 0; a second id on a used index is a new call.
      if (existing?.id !== undefined && delta.id !== undefined && delta.id !== existing.id) {
        const fresh = this.freshKey();
        this.aliases.set(delta.index, fresh);
        return fresh;
      }
      return key;
    }
    // No index: a new id starts a call, anything else continues the last one.
    if (delta.id !== undefined || this.lastKey === null) {
      const last = this.lastKey === null ? undefined : this.calls.get(this.lastKey);
      if (last && (last.id === undefined || last.id === delta.id)) return this.lastKey as number;
      return this.freshKey();
    }
    return this.lastKey;
  }

  private freshKey(): number {
    let key = this.nextFreeKey;
    while (this.calls.has(key)) key++;
    return key;
  }
}
