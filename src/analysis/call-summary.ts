// The one-paragraph summary of a call, built only from what was said and done (extractive, no
// model): the caller's first request, the tools used, where a flow ended, the agent's last reply,
// and how the call ended.
import { excerpt, formatDuration } from './text-stats.js';

const QUOTE_CHARS = 120;

export type SummaryInput = {
  firstCallerRequest: string | null;
  lastAgentReply: string | null;
  tools: readonly { name: string; ok: boolean }[];
  flow: { node: string; ended: boolean; handoff: boolean } | null;
  ended: boolean;
  endReason: string | null;
  turns: number;
  interruptions: number;
  durationMs: number;
};

export function summarizeCall(input: SummaryInput): string {
  const sentences: string[] = [];
  sentences.push(input.firstCallerRequest ? `Caller: "${excerpt(input.firstCallerRequest, QUOTE_CHARS)}".` : 'The caller said nothing.');
  if (input.tools.length > 0) sentences.push(`Tools: ${describeTools(input.tools)}.`);
  if (input.flow) sentences.push(describeFlow(input.flow));
  if (input.lastAgentReply) sentences.push(`Agent's last reply: "${excerpt(input.lastAgentReply, QUOTE_CHARS)}".`);
  const extent = `${plural(input.turns, 'turn')}${input.interruptions > 0 ? ` (${plural(input.interruptions, 'interruption')})` : ''}, ${formatDuration(input.durationMs)}`;
  sentences.push(input.ended ? `Call ended${input.endReason ? ` (${input.endReason})` : ''} after ${extent}.` : `Call still in progress after ${extent}.`);
  return sentences.join(' ');
}

/** book_appointment (ok), lookup ×3 (2 of 3 ok), in the order first used. */
function describeTools(tools: readonly { name: string; ok: boolean }[]): string {
  const byName = new Map<string, { uses: number; ok: number }>();
  for (const t of tools) {
    const entry = byName.get(t.name) ?? { uses: 0, ok: 0 };
    entry.uses++;
    if (t.ok) entry.ok++;
    byName.set(t.name, entry);
  }
  return [...byName]
    .map(([name, { uses, ok }]) => {
      const status = ok === uses ? 'ok' : ok === 0 ? 'failed' : `${ok} of ${uses} ok`;
      return `${name}${uses > 1 ? ` ×${uses}` : ''} (${status})`;
    })
    .join(', ');
}

function describeFlow(flow: { node: string; ended: boolean; handoff: boolean }): string {
  if (flow.handoff) return `Handed over to a person at flow node "${flow.node}".`;
  return flow.ended ? `Flow finished at node "${flow.node}".` : `Flow stopped at node "${flow.node}".`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
