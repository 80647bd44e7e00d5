// The database as kysely sees it. Property names are camelCase; CamelCasePlugin maps them to the
// snake_case columns the migrations create, so SQL stays conventional and TypeScript idiomatic.
//
// Conventions, identical in SQLite and PostgreSQL so one repository serves both:
// - timestamps are ISO-8601 UTC text from Date.toISOString(): fixed width, so text order is time
//   order (indexes and cursor comparisons work unchanged), readable in a shell, and free of the
//   bigint-as-string and timezone conversions the pg driver applies to other types;
// - JSON documents are text, encoded and decoded in one codec (json-codec.ts): nothing queries
//   inside them, and jsonb would reorder keys in PostgreSQL only;
// - booleans are integers 0/1 (SQLite has no boolean type).
import type { Generated } from 'kysely';

export type TenantTable = { id: string; name: string; createdAt: string };

export type UserTable = {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
  /** scrypt hash with its parameters (src/auth); null for users who cannot log in with a password. */
  passwordHash: string | null;
};

export type UserSessionTable = {
  id: string;
  tenantId: string;
  userId: string;
  /** Hex SHA-256 of the session token; the token itself is never stored. */
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
};

export type ApiKeyTable = {
  id: string;
  tenantId: string;
  name: string;
  /** Hex SHA-256 of the key; the key itself is never stored. */
  keyHash: string;
  /** The first characters of the key, shown in listings so a person can tell keys apart. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  role: string;
  /** JSON array of scopes; empty: all of the role's. */
  scopes: string;
  lastUsedAt: string | null;
};

export type AgentTable = {
  id: string;
  tenantId: string;
  name: string;
  currentVersion: number;
  createdAt: string;
  updatedAt: string;
  /** Soft delete: calls keep pointing at the versions that ran them. */
  deletedAt: string | null;
};

export type AgentVersionTable = {
  tenantId: string;
  agentId: string;
  version: number;
  prompt: string;
  voice: string;
  providers: string;
  tools: string;
  flow: string | null;
  turnSettings: string;
  createdAt: string;
  greeting: string | null;
  /** JSON array of webhook targets. */
  webhooks: string;
};

export type CallTable = {
  id: string;
  tenantId: string;
  agentId: string;
  agentVersion: number;
  transport: string;
  caller: string | null;
  status: string;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  durationMs: number | null;
  turnCount: number;
  sttSeconds: number;
  llmInputTokens: number;
  llmOutputTokens: number;
  ttsCharacters: number;
  costUsd: number;
  recordingPath: string | null;
  /** JSON of the post-call analysis. */
  analysis: string | null;
};

export type TurnTable = {
  id: string;
  tenantId: string;
  callId: string;
  idx: number;
  userTranscript: string;
  agentResponse: string;
  heardText: string;
  stateHistory: string;
  wasInterrupted: number;
  latency: string;
  startedAt: string;
  endedAt: string | null;
};

export type LlmCallTable = {
  id: string;
  tenantId: string;
  callId: string;
  turnId: string | null;
  provider: string;
  model: string;
  status: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  firstTokenMs: number | null;
  error: string | null;
  startedAt: string;
};

export type ToolCallTable = {
  id: string;
  tenantId: string;
  callId: string;
  turnId: string | null;
  name: string;
  arguments: string;
  result: string | null;
  status: string;
  latencyMs: number;
  startedAt: string;
};

export type TelemetryTable = {
  id: string;
  tenantId: string;
  callId: string;
  at: string;
  name: string;
  value: number;
  attrs: string;
};

export type EventTable = {
  id: string;
  tenantId: string;
  callId: string;
  seq: number;
  at: string;
  type: string;
  payload: string;
};

export type WebhookDeliveryTable = {
  id: string;
  tenantId: string;
  eventType: string;
  url: string;
  payload: string;
  status: string;
  attempts: Generated<number>;
  nextAttemptAt: string | null;
  lastError: string | null;
  responseStatus: number | null;
  createdAt: string;
  deliveredAt: string | null;
  agentId: string | null;
  agentVersion: number | null;
  webhookIndex: number | null;
  callId: string | null;
};

export type WebhookAttemptTable = {
  id: string;
  tenantId: string;
  deliveryId: string;
  at: string;
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
};

export type AuditLogTable = {
  id: string;
  tenantId: string;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: string;
};

export type Database = {
  tenants: TenantTable;
  users: UserTable;
  userSessions: UserSessionTable;
  apiKeys: ApiKeyTable;
  agents: AgentTable;
  agentVersions: AgentVersionTable;
  calls: CallTable;
  turns: TurnTable;
  llmCalls: LlmCallTable;
  toolCalls: ToolCallTable;
  telemetry: TelemetryTable;
  events: EventTable;
  webhookDeliveries: WebhookDeliveryTable;
  webhookAttempts: WebhookAttemptTable;
  auditLog: AuditLogTable;
};
