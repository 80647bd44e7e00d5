// The writes a call makes through the WriteQueue: plain data (so they can be spilled to a file),
// each applied by one idempotent repository method.
import type { CallEnd, CallEvent, CallTotals, LlmCall, NewCall, Repository, Telemetry, ToolCall, Turn } from './repository.js';

export type StoreWrite = { id: string; tenantId: string } & (
  | { kind: 'callStart'; call: NewCall }
  | { kind: 'callEnd'; callId: string; end: CallEnd }
  | { kind: 'callTotals'; callId: string; totals: CallTotals }
  | { kind: 'turn'; turn: Turn }
  | { kind: 'llmCall'; llmCall: LlmCall }
  | { kind: 'toolCall'; toolCall: ToolCall }
  | { kind: 'telemetry'; telemetry: Telemetry }
  | { kind: 'event'; event: CallEvent }
  | { kind: 'callRecording'; callId: string; path: string }
  | { kind: 'callAnalysis'; callId: string; analysis: unknown }
);

/** Applies one write. Updates (end, totals, recording, analysis) set absolute values, so replaying them is harmless. */
export function storeWriter(repository: Repository): (write: StoreWrite) => Promise<void> {
  return async (w) => {
    switch (w.kind) {
      case 'callStart':
        return repository.createCall(w.tenantId, w.call);
      case 'callEnd':
        await repository.endCall(w.tenantId, w.callId, w.end);
        return;
      case 'callTotals':
        await repository.updateCallTotals(w.tenantId, w.callId, w.totals);
        return;
      case 'turn':
        return repository.insertTurn(w.tenantId, w.turn);
      case 'llmCall':
        return repository.insertLlmCall(w.tenantId, w.llmCall);
      case 'toolCall':
        return repository.insertToolCall(w.tenantId, w.toolCall);
      case 'telemetry':
        return repository.insertTelemetry(w.tenantId, w.telemetry);
      case 'event':
        return repository.insertEvent(w.tenantId, w.event);
      case 'callRecording':
        await repository.setCallRecording(w.tenantId, w.callId, w.path);
        return;
      case 'callAnalysis':
        await repository.setCallAnalysis(w.tenantId, w.callId, w.analysis);
        return;
    }
  };
}

/**
 * Failures a retry cannot fix: constraint and data errors (SQLite's SQLITE_CONSTRAINT*, SQLSTATE
 * classes 22 and 23 in PostgreSQL). Everything else — refused connections, resets, timeouts,
 * SQLITE_BUSY — is retried.
 */
export function isPermanentStoreError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('code' in err)) return false;
  const code = (err as { code: unknown }).code;
  if (typeof code !== 'string') return false;
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH') return true;
  return /^(22|23)[0-9A-Z]{3}$/.test(code);
}
