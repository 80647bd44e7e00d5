// Rows for store tests: a tenant with an agent and a call, and builders for the call's records.
import type { AgentConfig, CallEvent, Repository, Turn } from '../../src/store/repository.js';

export function agentConfig(prompt: string): AgentConfig {
  return {
    prompt,
    voice: { engine: 'espeak-ng', voice: 'en-us' },
    providers: { stt: ['pocketsphinx'], llm: ['flow'], tts: ['espeak-ng'] },
    tools: [{ name: 'book_appointment' }],
    flow: { start: 'greet', nodes: { greet: { say: 'Hello' } } },
    turnSettings: { endOfUtteranceMs: 600, bargeIn: true },
    greeting: null,
    webhooks: [],
  };
}

export function iso(ms: number): string {
  return new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
}

export async function seedTenant(repo: Repository, tenantId: string): Promise<{ agentId: string; callId: string }> {
  await repo.createTenant({ id: tenantId, name: `Tenant ${tenantId}` });
  const agentId = `${tenantId}-agent`;
  await repo.createAgent(tenantId, { id: agentId, name: 'Front desk', config: agentConfig('be kind') });
  const callId = `${tenantId}-call`;
  await repo.createCall(tenantId, { id: callId, agentId, agentVersion: 1, transport: 'websocket', caller: '+100', startedAt: iso(0) });
  return { agentId, callId };
}

export function turn(callId: string, idx: number, userTranscript: string, agentResponse = 'ok'): Turn {
  return {
    id: `${callId}-turn-${idx}`,
    callId,
    idx,
    userTranscript,
    agentResponse,
    heardText: agentResponse.slice(0, 2),
    stateHistory: [
      { state: 'LISTENING', at: 0 },
      { state: 'SPEAKING', at: 900 },
    ],
    wasInterrupted: idx % 2 === 1,
    latency: { sttMs: 120, llmFirstTokenMs: 300, ttsFirstAudioMs: 90 },
    startedAt: iso(idx * 1000),
    endedAt: iso(idx * 1000 + 900),
  };
}

export function event(callId: string, seq: number): CallEvent {
  return { id: `${callId}-ev-${seq}`, callId, seq, at: iso(seq), type: 'turn.state', payload: { seq, state: 'LISTENING' } };
}
