// Configuration sections of the platform around the voice core: persistence, the event bus,
// authentication, the REST API, webhooks and recordings. Secrets (database passwords inside
// DATABASE_URL, the admin password) come from the environment and are never logged.
import { z } from 'zod';

const ms = (max: number) => z.number().int().min(0).max(max);

export const storeSchema = z
  .object({
    /** postgres:// URL (DATABASE_URL) for PostgreSQL; unset: SQLite at sqlitePath. */
    url: z.string().min(1).optional(),
    /** The SQLite file (`:memory:` for a throwaway database). */
    sqlitePath: z.string().min(1).default('data/parley.db'),
    /** PostgreSQL schema to work in; default the server's search_path. */
    pgSchema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain SQL identifier').optional(),
    writeQueue: z
      .object({
        /** Writes kept in memory while the database is away; more go to the spill file. */
        memoryBound: z.number().int().min(1).max(10_000_000).default(10_000),
        spillPath: z.string().min(1).default('data/store-spill.jsonl'),
        retryInitialMs: ms(60_000).default(200),
        retryMaxMs: ms(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const busSchema = z
  .object({
    /** redis:// URL (REDIS_URL) for Redis Streams; unset: the in-process bus. */
    redisUrl: z.string().min(1).optional(),
    prefix: z.string().min(1).max(100).default('parley:'),
    /** Stream entries older than this are trimmed. */
    retentionMs: ms(30 * 86_400_000).default(86_400_000),
    /** Entries held while Redis is unreachable before publishes are dropped (and counted). */
    maxQueued: z.number().int().min(1).max(10_000_000).default(100_000),
    /** How long a call's resume state outlives its last update. */
    sessionStateTtlMs: ms(7 * 86_400_000).default(3_600_000),
  })
  .strict()
  .prefault({});

export const authSchema = z
  .object({
    /**
     * 'loopback': requests without credentials from this machine act as the default tenant's
     * admin (the one-command local install); 'off': every request needs a key or a login.
     */
    anonymous: z.enum(['loopback', 'off']).default('loopback'),
    defaultTenant: z
      .object({ id: z.string().min(1).max(100).default('default'), name: z.string().min(1).max(200).default('Default') })
      .strict()
      .prefault({}),
    /** With PARLEY_ADMIN_PASSWORD in the environment: this admin user is created at startup if missing. */
    adminEmail: z.string().email().optional(),
    sessionTtlMs: ms(90 * 86_400_000).default(7 * 86_400_000),
  })
  .strict()
  .prefault({});

export const apiSchema = z
  .object({
    /** Requests per window per API key, user or (anonymous) address. */
    rateLimit: z
      .object({ max: z.number().int().min(1).max(1_000_000).default(600), windowMs: ms(86_400_000).default(60_000) })
      .strict()
      .prefault({}),
    /** Origins allowed to call the API from a browser (CORS); empty: same origin only. */
    corsOrigins: z.array(z.string().url()).default([]),
    bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  })
  .strict()
  .prefault({});

export const webhooksSchema = z
  .object({
    timeoutMs: ms(120_000).default(10_000),
    /** Delays between attempts; default about 16 hours from the first to the last. */
    retryScheduleMs: z.array(ms(7 * 86_400_000)).min(1).max(50).optional(),
    pollIntervalMs: ms(600_000).default(1000),
  })
  .strict()
  .prefault({});

export const recordingSchema = z
  .object({
    enabled: z.boolean().default(false),
    dir: z.string().min(1).default('data/recordings'),
    retentionDays: z.number().int().min(1).max(36_500).default(30),
    /** Said before the greeting of every recorded call (e.g. "This call is recorded."); null: none. */
    consentAnnouncement: z.string().min(1).max(500).nullable().default(null),
  })
  .strict()
  .prefault({});
