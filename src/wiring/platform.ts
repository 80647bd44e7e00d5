// Opens what a Parley process keeps beyond its calls: the store (migrated, with its write queue),
// the event bus, the resume-state store, the default tenant with the config file's agents, and the
// agent catalog calls resolve against. Part of the composition root.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentCatalog } from '../agents/agent-catalog.js';
import { ensureTenant } from '../auth/bootstrap.js';
import { syncConfigAgents } from '../agents/config-agent-sync.js';
import type { CallBusEvent } from '../bus/call-bus-event.js';
import type { EventBus } from '../bus/event-bus.js';
import { openEventBus, openSessionStateStore } from '../bus/open-event-bus.js';
import type { SessionStateStore } from '../bus/session-state-store.js';
import type { Clock } from '../clock.js';
import { allAgents, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { openMigratedStore, type Store } from '../store/open-store.js';
import { isPermanentStoreError, storeWriter, type StoreWrite } from '../store/store-writes.js';
import { WriteQueue } from '../store/write-queue.js';
import type { CallResumeState } from '../calls/call-resume-state.js';

export type Platform = {
  store: Store;
  writes: WriteQueue<StoreWrite>;
  bus: EventBus<CallBusEvent>;
  resumeStates: SessionStateStore<CallResumeState>;
  catalog: AgentCatalog;
  defaultTenantId: string;
  close(): Promise<void>;
};

export async function openPlatform(config: Config, clock: Clock, log: Logger): Promise<Platform> {
  const store = await openMigratedStore({ url: config.store.url, sqlitePath: config.store.sqlitePath, pgSchema: config.store.pgSchema });
  const repository = store.repository;
  const tenant = config.auth.defaultTenant;
  await ensureTenant(repository, tenant);
  const synced = await syncConfigAgents(repository, tenant.id, allAgents(config));
  if (synced.created.length || synced.updated.length) log.info({ created: synced.created, updated: synced.updated }, 'configuration agents stored');

  const q = config.store.writeQueue;
  if (q.spillPath !== ':memory:') mkdirSync(dirname(q.spillPath), { recursive: true });
  const writes = new WriteQueue<StoreWrite>({
    apply: storeWriter(repository),
    clock,
    memoryBound: q.memoryBound,
    spillPath: q.spillPath,
    isPermanent: isPermanentStoreError,
    retryInitialMs: q.retryInitialMs,
    retryMaxMs: q.retryMaxMs,
    onDrop: (write, err) => log.error({ call_id: 'callId' in write ? write.callId : undefined, write_kind: write.kind, write_id: write.id, err: String(err) }, 'store write refused by the database: dropped'),
  });
  const busConfig = { redisUrl: config.bus.redisUrl, prefix: config.bus.prefix, retentionMs: config.bus.retentionMs, maxQueued: config.bus.maxQueued };
  const bus = openEventBus<CallBusEvent>(busConfig, log);
  const resumeStates = openSessionStateStore<CallResumeState>(busConfig);
  const catalog = new AgentCatalog(repository, {
    refreshMs: 5000,
    readTimeoutMs: 1500,
    now: () => clock.now(),
    onStale: (tenantId, err) => log.warn({ tenant_id: tenantId, err: String(err) }, 'agents read failed: using the ones known so far'),
  });
  return {
    store,
    writes,
    bus,
    resumeStates,
    catalog,
    defaultTenantId: tenant.id,
    async close() {
      await writes.close();
      await bus.close();
      await resumeStates.close();
      await store.close();
    },
  };
}
