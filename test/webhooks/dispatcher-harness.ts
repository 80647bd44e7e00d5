// What the dispatcher tests share: a migrated store on a real backend, a virtual clock with the wall
// time derived from it, tenants with agents whose webhooks point at real receivers, a log that is
// kept, and a way to let virtual time pass poll by poll.
import { Writable } from 'node:stream';
import { VirtualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { Repository, WebhookTarget } from '../../src/store/repository.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/webhooks/webhook-dispatcher.js';
import type { WebhookSource } from '../../src/webhooks/webhook-events.js';
import { createTestDatabase, type BackendName, type TestDatabase } from '../store/backends.js';
import { agentConfig } from '../store/fixtures.js';

/** Wall time at virtual 0. */
export const BASE_MS = Date.UTC(2026, 0, 1);
export const at = (virtualMs: number): string => new Date(BASE_MS + virtualMs).toISOString();

export type Harness = {
  clock: VirtualClock;
  repo: Repository;
  now: () => Date;
  nowSec: () => number;
  logLines: string[];
  dispatcher(options?: Partial<WebhookDispatcherOptions>): WebhookDispatcher;
  /** Creates the tenant (once) and an agent whose version 1 has these webhooks. */
  agent(tenantId: string, agentId: string, webhooks: WebhookTarget[]): Promise<WebhookSource>;
  /** Lets `ms` of virtual time pass in steps of `stepMs`, each followed by the dispatcher settling. */
  runFor(dispatcher: WebhookDispatcher, ms: number, stepMs: number): Promise<void>;
  cleanup(): Promise<void>;
};

export async function createHarness(backend: BackendName): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase(backend);
  const store = database.open();
  await migrateToLatest(store.db);
  const clock = new VirtualClock();
  const now = (): Date => new Date(BASE_MS + clock.now());
  const logLines: string[] = [];
  const log = createLogger(
    'debug',
    new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  const tenants = new Set<string>();
  const dispatchers: WebhookDispatcher[] = [];
  return {
    clock,
    repo: store.repository,
    now,
    nowSec: () => Math.floor(now().getTime() / 1000),
    logLines,
    dispatcher(options = {}) {
      const d = new WebhookDispatcher({ repository: store.repository, clock, now, log, jitter: 0, pollIntervalMs: 1000, ...options });
      dispatchers.push(d);
      return d;
    },
    async agent(tenantId, agentId, webhooks) {
      if (!tenants.has(tenantId)) {
        await store.repository.createTenant({ id: tenantId, name: tenantId });
        tenants.add(tenantId);
      }
      const agent = await store.repository.createAgent(tenantId, { id: agentId, name: agentId, config: { ...agentConfig('hi'), webhooks } });
      return { agentId, agentVersion: agent.currentVersion, webhooks: agent.config.webhooks ?? [] };
    },
    async runFor(dispatcher, ms, stepMs) {
      const end = clock.now() + ms;
      await dispatcher.whenIdle();
      while (clock.now() < end) {
        clock.advance(Math.min(stepMs, end - clock.now()));
        await dispatcher.whenIdle();
      }
    },
    async cleanup() {
      for (const d of dispatchers) d.stop();
      for (const d of dispatchers) {
        // Abort anything still hanging so the store can close.
        clock.advance(60_000);
        await d.whenIdle();
      }
      await database.cleanup();
    },
  };
}
