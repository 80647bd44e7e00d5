// Request bodies and seeded rows for the API tests.
import type { AgentBody } from '../../../src/api/v1/agent-body.js';
import type { CallEvent, Repository, Turn } from '../../../src/store/repository.js';

export function agentBody(overrides: Partial<AgentBody> = {}): AgentBody {
  return {
    name: 'Front desk',
    prompt: 'You are a friendly receptionist.',
    greeting: 'Hello, how can I help?',
    voice: 'en-us',
    providers: { stt: ['simulated'], llm: ['simulated'], tts: ['simulated'] },
    tools: ['time'],
    flow: null,
    turn: { speculativeHoldMs: 150 },
    webhooks: [{ url: 'https://hooks.example.com/parley', events: ['call.ended'], secret: 'whsec-0123456789abcdef' }],
    ...overrides,
  };
}

export type SeededCall = { id: string; agentId: string; startedAt: string };

/** A call of `agentId` started at `startedAt`, with one turn per utterance pair. */
export async function seedCall(
  repository: Repository,
  tenantId: string,
  input: { id: string; agentId: string; startedAt: string; status?: 'completed' | 'failed' | 'abandoned' | 'active'; turns?: [string, string][] },
): Promise<SeededCall> {
  await repository.createCall(tenantId, { id: input.id, agentId: input.agentId, agentVersion: 1, transport: 'websocket', caller: 'browser', startedAt: input.startedAt });
  const start = Date.parse(input.startedAt);
  const turns = input.turns ?? [];
  for (const [idx, [user, agent]] of turns.entries()) {
    await repository.insertTurn(tenantId, simpleTurn(input.id, idx, user, agent, start + idx * 5000));
  }
  const status = input.status ?? 'completed';
  if (status !== 'active') {
    await repository.endCall(tenantId, input.id, { endedAt: new Date(start + 60_000).toISOString(), status, endReason: 'caller_hangup' });
  }
  return { id: input.id, agentId: input.agentId, startedAt: input.startedAt };
}

export function simpleTurn(callId: string, idx: number, user: string, agent: string, startMs: number): Turn {
  return {
    id: `${callId}-t${idx}`,
    callId,
    idx,
    userTranscript: user,
    agentResponse: agent,
    heardText: agent,
    stateHistory: [{ state: 'LISTENING', at: 0 }],
    wasInterrupted: false,
    latency: { voiceToVoiceMs: 700 },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(startMs + 4000).toISOString(),
  };
}

export function eventRow(callId: string, seq: number, atIso: string, payload: Record<string, unknown> & { type: string }): CallEvent {
  return { id: `${callId}-e${seq}`, callId, seq, at: atIso, type: payload.type, payload: { callId, ...payload } };
}
