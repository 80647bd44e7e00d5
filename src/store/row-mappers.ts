// Rows as stored (JSON as text, booleans as 0/1) to the repository's types and back.
import type { Selectable } from 'kysely';
import { fromJson, toJson } from './json-codec.js';
import type {
  AgentConfig,
  AgentVersion,
  ApiKey,
  AuditEntry,
  Call,
  CallEvent,
  CallStatus,
  LlmCall,
  LlmCallStatus,
  Telemetry,
  ToolCall,
  Turn,
  User,
  WebhookAttempt,
  WebhookDelivery,
  WebhookStatus,
} from './repository.js';
import type {
  AgentVersionTable,
  ApiKeyTable,
  AuditLogTable,
  CallTable,
  EventTable,
  LlmCallTable,
  TelemetryTable,
  ToolCallTable,
  TurnTable,
  UserTable,
  WebhookAttemptTable,
  WebhookDeliveryTable,
} from './schema.js';

export function configColumns(config: AgentConfig): Omit<AgentVersionTable, 'tenantId' | 'agentId' | 'version' | 'createdAt'> {
  return {
    prompt: config.prompt,
    voice: toJson(config.voice),
    providers: toJson(config.providers),
    tools: toJson(config.tools),
    flow: config.flow === undefined || config.flow === null ? null : toJson(config.flow),
    turnSettings: toJson(config.turnSettings),
    greeting: config.greeting ?? null,
    webhooks: toJson(config.webhooks ?? []),
  };
}

export function configFromRow(row: Selectable<AgentVersionTable>): AgentConfig {
  return {
    prompt: row.prompt,
    voice: fromJson(row.voice),
    providers: fromJson(row.providers),
    tools: fromJson(row.tools),
    flow: fromJson(row.flow),
    turnSettings: fromJson(row.turnSettings),
    greeting: row.greeting,
    webhooks: fromJson(row.webhooks) ?? [],
  };
}

export function agentVersionFromRow(row: Selectable<AgentVersionTable>): AgentVersion {
  return { agentId: row.agentId, version: Number(row.version), createdAt: row.createdAt, config: configFromRow(row) };
}

export function callFromRow(row: Selectable<CallTable>): Call {
  // pg returns double precision as number but be explicit: SQLite and pg both may hand back
  // integers in other shapes after aggregates.
  return {
    ...row,
    status: row.status as CallStatus,
    agentVersion: Number(row.agentVersion),
    turnCount: Number(row.turnCount),
    sttSeconds: Number(row.sttSeconds),
    llmInputTokens: Number(row.llmInputTokens),
    llmOutputTokens: Number(row.llmOutputTokens),
    ttsCharacters: Number(row.ttsCharacters),
    costUsd: Number(row.costUsd),
    analysis: fromJson(row.analysis),
  };
}

export function turnToRow(tenantId: string, t: Turn): TurnTable {
  return {
    id: t.id,
    tenantId,
    callId: t.callId,
    idx: t.idx,
    userTranscript: t.userTranscript,
    agentResponse: t.agentResponse,
    heardText: t.heardText,
    stateHistory: toJson(t.stateHistory),
    wasInterrupted: t.wasInterrupted ? 1 : 0,
    latency: toJson(t.latency),
    startedAt: t.startedAt,
    endedAt: t.endedAt,
  };
}

export function turnFromRow(row: Selectable<TurnTable>): Turn {
  return {
    id: row.id,
    callId: row.callId,
    idx: Number(row.idx),
    userTranscript: row.userTranscript,
    agentResponse: row.agentResponse,
    heardText: row.heardText,
    stateHistory: fromJson(row.stateHistory),
    wasInterrupted: Number(row.wasInterrupted) === 1,
    latency: fromJson(row.latency),
    startedAt: row.startedAt,
    endedAt: row.endedAt,
  };
}

export function llmCallFromRow(row: Selectable<LlmCallTable>): LlmCall {
  const { tenantId: _tenantId, ...rest } = row;
  return { ...rest, status: row.status as LlmCallStatus };
}

export function toolCallToRow(tenantId: string, t: ToolCall): ToolCallTable {
  return { ...t, tenantId, arguments: toJson(t.arguments), result: t.result === undefined ? null : toJson(t.result) };
}

export function toolCallFromRow(row: Selectable<ToolCallTable>): ToolCall {
  const { tenantId: _tenantId, ...rest } = row;
  return { ...rest, arguments: fromJson(row.arguments), result: fromJson(row.result), status: row.status as ToolCall['status'] };
}

export function telemetryFromRow(row: Selectable<TelemetryTable>): Telemetry {
  const { tenantId: _tenantId, ...rest } = row;
  return { ...rest, value: Number(row.value), attrs: fromJson(row.attrs) };
}

export function eventFromRow(row: Selectable<EventTable>): CallEvent {
  const { tenantId: _tenantId, ...rest } = row;
  return { ...rest, seq: Number(row.seq), payload: fromJson(row.payload) };
}

export function webhookFromRow(row: Selectable<WebhookDeliveryTable>): WebhookDelivery {
  return {
    ...row,
    status: row.status as WebhookStatus,
    attempts: Number(row.attempts),
    payload: fromJson(row.payload),
    agentVersion: row.agentVersion === null ? null : Number(row.agentVersion),
    webhookIndex: row.webhookIndex === null ? null : Number(row.webhookIndex),
    responseStatus: row.responseStatus === null ? null : Number(row.responseStatus),
  };
}

export function webhookAttemptFromRow(row: Selectable<WebhookAttemptTable>): WebhookAttempt {
  const { tenantId: _tenantId, ...rest } = row;
  return { ...rest, durationMs: Number(row.durationMs), responseStatus: row.responseStatus === null ? null : Number(row.responseStatus) };
}

export function apiKeyFromRow(row: Selectable<ApiKeyTable>): ApiKey {
  return { ...row, scopes: fromJson<string[]>(row.scopes) ?? [] };
}

export function userFromRow(row: Selectable<UserTable>): User {
  const { passwordHash: _hash, ...user } = row;
  return user;
}

export function auditFromRow(row: Selectable<AuditLogTable>): AuditEntry {
  return { ...row, details: fromJson(row.details) };
}
