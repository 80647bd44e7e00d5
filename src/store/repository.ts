// What the rest of Parley may ask of persistence. Every method except the API-key lookup takes the
// tenant id and touches only that tenant's rows; a row of another tenant behaves as if absent.
// Timestamps are ISO-8601 UTC strings. Inserts of call records take a caller-chosen id and are
// idempotent: inserting the same id twice leaves one row (the write queue relies on it).

export type Tenant = { id: string; name: string; createdAt: string };
export type User = { id: string; tenantId: string; email: string; name: string; role: string; createdAt: string };
/** A user with the stored password hash (scrypt, see src/auth): only for logging in. */
export type UserCredentials = User & { passwordHash: string | null };
export type NewUser = { id: string; email: string; name: string; role: string; passwordHash?: string | null };
export type UserUpdate = { name?: string; role?: string; passwordHash?: string | null };
/** A web-app login: the token itself is never stored, only its hash. */
export type UserSession = { id: string; tenantId: string; userId: string; createdAt: string; expiresAt: string; revokedAt: string | null };
export type ApiKey = {
  id: string;
  tenantId: string;
  name: string;
  keyHash: string;
  prefix: string;
  /** The most the key may do (admin, member, viewer). */
  role: string;
  /** Narrower scopes within the role; empty means all of the role's. */
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
};
export type NewApiKey = { id: string; name: string; keyHash: string; prefix: string; role?: string; scopes?: string[] };

/** Where an agent's call events are posted. The secret signs the bodies; the API never shows it back. */
export type WebhookTarget = { url: string; events: string[]; secret: string };

/** One agent configuration; every change makes a new version. */
export type AgentConfig = {
  prompt: string;
  /** What the agent says first; null for nothing. Absent in versions written before migration 004. */
  greeting?: string | null;
  webhooks?: WebhookTarget[];
  voice: Record<string, unknown>;
  providers: Record<string, unknown>;
  tools: unknown[];
  flow: unknown;
  turnSettings: Record<string, unknown>;
};
export type Agent = {
  id: string;
  tenantId: string;
  name: string;
  currentVersion: number;
  createdAt: string;
  updatedAt: string;
  config: AgentConfig;
};
export type AgentVersion = { agentId: string; version: number; createdAt: string; config: AgentConfig };

export type CallStatus = 'active' | 'completed' | 'failed' | 'abandoned';
export type CallTotals = {
  turnCount: number;
  sttSeconds: number;
  llmInputTokens: number;
  llmOutputTokens: number;
  ttsCharacters: number;
  costUsd: number;
};
export type Call = CallTotals & {
  id: string;
  tenantId: string;
  agentId: string;
  agentVersion: number;
  transport: string;
  caller: string | null;
  status: CallStatus;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  durationMs: number | null;
  /** Path of the call's recording (a WAV file), when it was recorded. */
  recordingPath: string | null;
  /** The post-call analysis (call.analyzed), once made. */
  analysis: unknown;
};
export type NewCall = {
  id: string;
  agentId: string;
  agentVersion: number;
  transport: string;
  caller?: string | null;
  startedAt: string;
};
export type CallEnd = { endedAt: string; status: Exclude<CallStatus, 'active'>; endReason?: string | null };

export type TurnLatency = Record<string, number>;
export type Turn = {
  id: string;
  callId: string;
  idx: number;
  userTranscript: string;
  agentResponse: string;
  heardText: string;
  stateHistory: { state: string; at: number }[];
  wasInterrupted: boolean;
  latency: TurnLatency;
  startedAt: string;
  endedAt: string | null;
};

export type LlmCallStatus = 'completed' | 'canceled' | 'failed';
export type LlmCall = {
  id: string;
  callId: string;
  turnId: string | null;
  provider: string;
  model: string;
  status: LlmCallStatus;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  firstTokenMs: number | null;
  error: string | null;
  startedAt: string;
};
export type ToolCall = {
  id: string;
  callId: string;
  turnId: string | null;
  name: string;
  arguments: unknown;
  result: unknown;
  status: 'completed' | 'failed';
  latencyMs: number;
  startedAt: string;
};
export type Telemetry = { id: string; callId: string; at: string; name: string; value: number; attrs: Record<string, unknown> };
export type CallEvent = { id: string; callId: string; seq: number; at: string; type: string; payload: unknown };

export type CallDetail = {
  call: Call;
  turns: Turn[];
  events: CallEvent[];
  llmCalls: LlmCall[];
  toolCalls: ToolCall[];
  telemetry: Telemetry[];
};

export type CallFilter = {
  agentId?: string;
  status?: CallStatus;
  /** Inclusive lower bound on startedAt. */
  from?: string;
  /** Exclusive upper bound on startedAt. */
  to?: string;
  /** Case-insensitive substring of any turn's user transcript or agent response. */
  text?: string;
};
export type Page<T> = { items: T[]; nextCursor: string | null };
export type PageRequest = { limit: number; cursor?: string | null };

/** 'failed' is the dead-letter list: retries exhausted, waiting for a manual replay. */
export type WebhookStatus = 'pending' | 'delivered' | 'failed';
export type WebhookDelivery = {
  id: string;
  tenantId: string;
  /** The agent (and its version, whose webhook list holds the URL and secret) that produced the event. */
  agentId: string | null;
  agentVersion: number | null;
  /** Index into that version's `webhooks`. */
  webhookIndex: number | null;
  callId: string | null;
  eventType: string;
  url: string;
  payload: unknown;
  status: WebhookStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  responseStatus: number | null;
  createdAt: string;
  deliveredAt: string | null;
};
export type NewWebhookDelivery = Omit<
  WebhookDelivery,
  'tenantId' | 'attempts' | 'lastError' | 'responseStatus' | 'deliveredAt' | 'agentId' | 'agentVersion' | 'webhookIndex' | 'callId'
> &
  Partial<Pick<WebhookDelivery, 'agentId' | 'agentVersion' | 'webhookIndex' | 'callId'>>;

/** One HTTP attempt of a delivery: the delivery log. */
export type WebhookAttempt = {
  id: string;
  deliveryId: string;
  at: string;
  /** HTTP status of the answer; null when there was none (refused, timeout). */
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
};
export type WebhookFilter = { status?: WebhookStatus; eventType?: string; callId?: string };
export type WebhookUpdate = Partial<
  Pick<WebhookDelivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'responseStatus' | 'deliveredAt'>
>;

/** Calls of one agent on one UTC day. */
export type CallSummary = {
  day: string;
  agentId: string;
  calls: number;
  completed: number;
  failed: number;
  abandoned: number;
  active: number;
  totalDurationMs: number;
  turns: number;
  costUsd: number;
};
export type SummaryFilter = { agentId?: string; from?: string; to?: string };

export type AuditEntry = {
  id: string;
  tenantId: string;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
};

export interface Repository {
  createTenant(input: { id: string; name: string }): Promise<Tenant>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;

  listTenants(): Promise<Tenant[]>;

  createUser(tenantId: string, input: NewUser): Promise<User>;
  getUser(tenantId: string, userId: string): Promise<User | undefined>;
  listUsers(tenantId: string): Promise<User[]>;
  updateUser(tenantId: string, userId: string, update: UserUpdate): Promise<User | undefined>;
  deleteUser(tenantId: string, userId: string): Promise<boolean>;
  /** Logging in is how the tenant becomes known: every tenant's users with this email (case-insensitive). */
  findUsersByEmail(email: string): Promise<UserCredentials[]>;

  createUserSession(tenantId: string, input: { id: string; userId: string; tokenHash: string; expiresAt: string }): Promise<void>;
  /** A live (not revoked, not expired at `now`) session by its token hash; like findApiKeyByHash, without a tenant. */
  findUserSessionByHash(tokenHash: string, now: string): Promise<UserSession | undefined>;
  revokeUserSession(tenantId: string, sessionId: string): Promise<boolean>;

  createApiKey(tenantId: string, input: NewApiKey): Promise<ApiKey>;
  /** Records the key's last use (best effort; not audited). */
  touchApiKey(tenantId: string, keyId: string, at: string): Promise<void>;
  /**
   * The one lookup without a tenant: authenticating a request is how the tenant becomes known.
   * Revoked keys are not found.
   */
  findApiKeyByHash(keyHash: string): Promise<ApiKey | undefined>;
  listApiKeys(tenantId: string): Promise<ApiKey[]>;
  /** True when a live key of this tenant was revoked. */
  revokeApiKey(tenantId: string, keyId: string): Promise<boolean>;

  createAgent(tenantId: string, input: { id: string; name: string; config: AgentConfig }): Promise<Agent>;
  /** Stores `config` as a new version and makes it current. */
  updateAgent(tenantId: string, agentId: string, input: { name?: string; config: AgentConfig }): Promise<Agent | undefined>;
  getAgent(tenantId: string, agentId: string): Promise<Agent | undefined>;
  getAgentVersion(tenantId: string, agentId: string, version: number): Promise<AgentVersion | undefined>;
  listAgents(tenantId: string): Promise<Agent[]>;
  listAgentVersions(tenantId: string, agentId: string): Promise<AgentVersion[]>;
  /**
   * Copies version `version`'s configuration into a new version and makes that current, so history
   * stays append-only and every call still names the exact configuration that ran it.
   */
  rollbackAgent(tenantId: string, agentId: string, version: number): Promise<Agent | undefined>;
  /** Hides the agent from lists and gets; its versions stay for the calls that used them. */
  deleteAgent(tenantId: string, agentId: string): Promise<boolean>;

  createCall(tenantId: string, input: NewCall): Promise<void>;
  endCall(tenantId: string, callId: string, end: CallEnd): Promise<boolean>;
  updateCallTotals(tenantId: string, callId: string, totals: CallTotals): Promise<boolean>;
  /** Newest first (startedAt, then id, descending); the cursor is opaque. */
  listCalls(tenantId: string, filter: CallFilter, page: PageRequest): Promise<Page<Call>>;
  getCall(tenantId: string, callId: string): Promise<CallDetail | undefined>;
  /** The call row alone (no turns or timeline). */
  getCallRow(tenantId: string, callId: string): Promise<Call | undefined>;
  setCallRecording(tenantId: string, callId: string, path: string | null): Promise<boolean>;
  setCallAnalysis(tenantId: string, callId: string, analysis: unknown): Promise<boolean>;
  /** Calls grouped by UTC day (of startedAt) and agent, oldest day first. */
  summarizeCalls(tenantId: string, filter: SummaryFilter): Promise<CallSummary[]>;
  /** Recordings of calls that started before `before`, across tenants (the retention sweep). */
  listExpiredRecordings(before: string, limit: number): Promise<{ tenantId: string; callId: string; recordingPath: string }[]>;

  insertTurn(tenantId: string, turn: Turn): Promise<void>;
  insertLlmCall(tenantId: string, llmCall: LlmCall): Promise<void>;
  insertToolCall(tenantId: string, toolCall: ToolCall): Promise<void>;
  insertTelemetry(tenantId: string, telemetry: Telemetry): Promise<void>;
  insertEvent(tenantId: string, event: CallEvent): Promise<void>;

  insertWebhookDelivery(tenantId: string, input: NewWebhookDelivery): Promise<void>;
  updateWebhookDelivery(tenantId: string, deliveryId: string, update: WebhookUpdate): Promise<boolean>;
  /** Pending deliveries whose next attempt is at or before `now`, oldest due first. */
  listDueWebhookDeliveries(tenantId: string, now: string, limit: number): Promise<WebhookDelivery[]>;
  /** The same across every tenant: what the delivery worker picks up. */
  listAllDueWebhookDeliveries(now: string, limit: number): Promise<WebhookDelivery[]>;
  getWebhookDelivery(tenantId: string, deliveryId: string): Promise<WebhookDelivery | undefined>;
  /** Deliveries waiting (pending) and given up (failed), across tenants: for the metrics. */
  countWebhookDeliveries(): Promise<{ pending: number; failed: number }>;
  /** Newest first. */
  listWebhookDeliveries(tenantId: string, filter: WebhookFilter, page: PageRequest): Promise<Page<WebhookDelivery>>;
  insertWebhookAttempt(tenantId: string, attempt: WebhookAttempt): Promise<void>;
  /** Oldest first. */
  listWebhookAttempts(tenantId: string, deliveryId: string): Promise<WebhookAttempt[]>;

  appendAudit(tenantId: string, entry: Omit<AuditEntry, 'tenantId'>): Promise<void>;
  /** Newest first. */
  listAudit(tenantId: string, page: PageRequest): Promise<Page<AuditEntry>>;
}
