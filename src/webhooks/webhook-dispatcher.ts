// Sends webhook deliveries: one row per subscribed target, tried at once, then retried on the
// schedule by a polling worker until delivered or out of retries (status `failed`, the dead letters).
// Every attempt is logged. A delivery is never sent twice at once by one dispatcher; across
// processes, a claim (its next attempt pushed past the timeout) keeps other pollers off it.
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { Repository, WebhookDelivery, WebhookUpdate } from '../store/repository.js';
import { DEFAULT_RETRY_JITTER, DEFAULT_RETRY_SCHEDULE_MS, jittered, retryDelayMs, validateSchedule } from './retry-schedule.js';
import { SigningSecrets } from './signing-secrets.js';
import { isSubscribed, webhookBody, type WebhookEvent, type WebhookSource } from './webhook-events.js';
import { postWebhook, type PostResult } from './webhook-post.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

export type WebhookDispatcherOptions = {
  repository: Repository;
  /** Drives the poll interval, the request timeout and drain's limit. */
  clock: Clock;
  /** Wall time: what rows record and what `nextAttemptAt` is compared with. */
  now: () => Date;
  log: Logger;
  /** Per attempt, until the answer's headers and body are in. Default 10 s. */
  timeoutMs?: number;
  /** Delay before each retry, in ms. Default DEFAULT_RETRY_SCHEDULE_MS (30 s ... 8 h). */
  schedule?: readonly number[];
  /** Fraction of each delay it may move by, up or down. Default 0.1; 0 for exact schedules. */
  jitter?: number;
  random?: () => number;
  /** How often the worker looks for due retries. Default 5 s. */
  pollIntervalMs?: number;
  /** Most sends in flight at once. Default 8. */
  concurrency?: number;
  fetch?: typeof fetch;
};

/** A claimed delivery stays hidden from pollers this long beyond its timeout; a crashed sender's claim runs out. */
const CLAIM_MARGIN_MS = 60_000;
const USER_AGENT = 'Parley-Webhooks';

const iso = (ms: number): string => new Date(ms).toISOString();
const isSuccess = (a: { responseStatus: number | null; error: string | null }): boolean =>
  a.error === null && a.responseStatus !== null && a.responseStatus >= 200 && a.responseStatus < 300;

export class WebhookDispatcher {
  private readonly repository: Repository;
  private readonly clock: Clock;
  private readonly wallNow: () => Date;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly schedule: readonly number[];
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly fetch: typeof fetch;
  private readonly secrets: SigningSecrets;

  private readonly inFlight = new Map<string, Promise<void>>();
  private polling: Promise<void> | null = null;
  private pollTimer: TimerHandle | null = null;
  private running = false;
  private stopped = false;

  constructor(options: WebhookDispatcherOptions) {
    this.repository = options.repository;
    this.clock = options.clock;
    this.wallNow = options.now;
    this.log = options.log;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000);
    this.schedule = validateSchedule(options.schedule ?? DEFAULT_RETRY_SCHEDULE_MS);
    this.jitter = options.jitter ?? DEFAULT_RETRY_JITTER;
    if (!(this.jitter >= 0 && this.jitter < 1)) throw new Error(`webhook jitter must be in [0, 1), got ${this.jitter}`);
    this.random = options.random ?? Math.random;
    this.pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 5_000);
    this.concurrency = Math.floor(positive('concurrency', options.concurrency ?? 8));
    this.fetch = options.fetch ?? globalThis.fetch;
    this.secrets = new SigningSecrets(this.repository);
  }

  /**
   * Records one pending delivery per target of `source` subscribed to `event.type` and starts
   * sending them. Resolves once the rows are written (not when they are delivered); never rejects.
   */
  async enqueue(tenantId: string, source: WebhookSource, event: WebhookEvent): Promise<void> {
    let deliveries: WebhookDelivery[];
    try {
      deliveries = this.deliveriesFor(tenantId, source, event);
    } catch (err) {
      this.log.error({ err, tenant_id: tenantId, event_type: event?.type, call_id: event?.callId }, 'webhook enqueue failed');
      return;
    }
    try {
      // Each row is sent as soon as it is written; the poller finds any this process cannot send.
      for (const d of deliveries) {
        const { tenantId: _tenant, attempts: _a, lastError: _e, responseStatus: _s, deliveredAt: _d, ...row } = d;
        await this.repository.insertWebhookDelivery(tenantId, row);
        this.launch(d);
      }
    } catch (err) {
      this.log.error({ err, tenant_id: tenantId, event_type: event.type, call_id: event.callId }, 'webhook enqueue failed');
    }
  }

  /**
   * Sends a dead letter (or an already delivered delivery) again: back to pending, due now, its
   * attempt count going on and the retry schedule starting over. A pending one is just made due now.
   * False when no such delivery belongs to the tenant.
   */
  async replay(tenantId: string, deliveryId: string): Promise<boolean> {
    const delivery = await this.repository.getWebhookDelivery(tenantId, deliveryId);
    if (!delivery) return false;
    if (this.inFlight.has(deliveryId)) return true;
    const update = { status: 'pending', nextAttemptAt: iso(this.wallNow().getTime()), deliveredAt: null } satisfies WebhookUpdate;
    if (!(await this.repository.updateWebhookDelivery(tenantId, deliveryId, update))) return false;
    this.log.info({ tenant_id: tenantId, delivery_id: deliveryId, was: delivery.status }, 'webhook delivery replayed');
    this.launch({ ...delivery, ...update });
    return true;
  }

  /** Starts the worker: a poll now, then one every pollIntervalMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.tick();
  }

  /** Stops polling and starting sends (new rows stay pending for the next start); in-flight sends go on. */
  stop(): void {
    this.running = false;
    this.stopped = true;
    this.pollTimer?.cancel();
    this.pollTimer = null;
  }

  /** Waits for in-flight sends (and a running poll) to finish; false when `timeoutMs` ran out first. */
  async drain(timeoutMs = this.timeoutMs + 5_000): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.whenIdle().then(() => true), timedOut]);
    } finally {
      timer?.cancel();
    }
  }

  /** Resolves when nothing is in flight and no poll is running (no time limit). */
  async whenIdle(): Promise<void> {
    while (this.polling || this.inFlight.size > 0) {
      await Promise.allSettled([this.polling, ...this.inFlight.values()]);
    }
  }

  /** Looks for due deliveries once, now, and starts sending them. */
  pollNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.polling ??= this.poll()
      .catch((err: unknown) => this.log.error({ err }, 'webhook poll failed'))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  // ---- internals ----------------------------------------------------------------------------

  private tick(): void {
    this.pollTimer = null;
    void this.pollNow().finally(() => {
      if (this.running && !this.pollTimer) this.pollTimer = this.clock.setTimeout(() => this.tick(), this.pollIntervalMs);
    });
  }

  private async poll(): Promise<void> {
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return;
    // Ask for the ones in flight here too: they may still show as due until their claim is written.
    const due = await this.repository.listAllDueWebhookDeliveries(iso(this.wallNow().getTime()), free + this.inFlight.size);
    for (const delivery of due) this.launch(delivery);
  }

  private deliveriesFor(tenantId: string, source: WebhookSource, event: WebhookEvent): WebhookDelivery[] {
    if (typeof event?.type !== 'string' || !event.type) throw new Error('webhook event has no type');
    const targets = Array.isArray(source?.webhooks) ? source.webhooks : [];
    const createdAt = iso(this.wallNow().getTime());
    const deliveries: WebhookDelivery[] = [];
    targets.forEach((target, index) => {
      if (!target || typeof target.url !== 'string' || !isSubscribed(target, event.type)) return;
      const id = `whd_${randomUUID().replaceAll('-', '')}`;
      deliveries.push({
        id,
        tenantId,
        agentId: source.agentId,
        agentVersion: source.agentVersion,
        webhookIndex: index,
        callId: event.callId ?? null,
        eventType: event.type,
        url: target.url,
        payload: webhookBody(id, source, event, createdAt),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: createdAt,
        lastError: null,
        responseStatus: null,
        createdAt,
        deliveredAt: null,
      });
    });
    return deliveries;
  }

  /** Starts sending unless stopped, already sending this one, or at the concurrency limit. */
  private launch(delivery: WebhookDelivery): boolean {
    if (this.stopped || this.inFlight.has(delivery.id) || this.inFlight.size >= this.concurrency) return false;
    const run = this.attempt(delivery)
      .catch((err: unknown) => this.log.error({ err, tenant_id: delivery.tenantId, delivery_id: delivery.id }, 'webhook attempt failed to record'))
      .finally(() => this.inFlight.delete(delivery.id));
    this.inFlight.set(delivery.id, run);
    return true;
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const { tenantId, id } = delivery;
    const attemptNumber = delivery.attempts + 1;
    const startedAt = this.wallNow().getTime();
    const claimed = await this.repository.updateWebhookDelivery(tenantId, id, { nextAttemptAt: iso(startedAt + this.timeoutMs + CLAIM_MARGIN_MS) });
    if (!claimed) return;

    const secret = await this.secrets.secretFor(delivery);
    const result: PostResult =
      'missing' in secret
        ? { ok: false, responseStatus: null, error: `not sent: ${secret.missing}`, durationMs: 0 }
        : await postWebhook(this.request(delivery, secret.secret, attemptNumber, startedAt), { clock: this.clock, timeoutMs: this.timeoutMs, fetch: this.fetch });

    await this.repository.insertWebhookAttempt(tenantId, {
      // Numbered, so attempts made within one millisecond still list in order.
      id: `${id}.${String(attemptNumber).padStart(4, '0')}`,
      deliveryId: id,
      at: iso(startedAt),
      responseStatus: result.responseStatus,
      error: result.error,
      durationMs: Math.round(result.durationMs),
    });
    const finishedAt = this.wallNow().getTime();

    if (result.ok) {
      await this.repository.updateWebhookDelivery(tenantId, id, {
        status: 'delivered',
        attempts: attemptNumber,
        deliveredAt: iso(finishedAt),
        responseStatus: result.responseStatus,
        lastError: null,
        nextAttemptAt: null,
      });
      this.log.debug({ tenant_id: tenantId, delivery_id: id, attempt: attemptNumber, status: result.responseStatus }, 'webhook delivered');
      return;
    }

    // A delivery without a secret cannot get better by waiting: straight to the dead letters.
    const delay = 'missing' in secret ? null : retryDelayMs(this.schedule, await this.failuresInRow(tenantId, id));
    await this.repository.updateWebhookDelivery(tenantId, id, {
      status: delay === null ? 'failed' : 'pending',
      attempts: attemptNumber,
      lastError: result.error,
      responseStatus: result.responseStatus,
      nextAttemptAt: delay === null ? null : iso(finishedAt + jittered(delay, this.jitter, this.random)),
    });
    const fields = { tenant_id: tenantId, delivery_id: id, event_type: delivery.eventType, attempt: attemptNumber, error: result.error };
    if (delay === null) this.log.warn(fields, 'webhook delivery failed for good (dead letter)');
    else this.log.info({ ...fields, retry_in_ms: delay }, 'webhook attempt failed; will retry');
  }

  /** Failed attempts since the last success (the log holds the one just made). */
  private async failuresInRow(tenantId: string, deliveryId: string): Promise<number> {
    const attempts = await this.repository.listWebhookAttempts(tenantId, deliveryId);
    let failures = 0;
    for (let i = attempts.length - 1; i >= 0 && !isSuccess(attempts[i]); i--) failures++;
    return Math.max(1, failures);
  }

  private request(delivery: WebhookDelivery, secret: string, attemptNumber: number, nowMs: number) {
    const body = JSON.stringify(delivery.payload);
    return {
      url: delivery.url,
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'parley-event': delivery.eventType,
        'parley-delivery': delivery.id,
        'parley-attempt': String(attemptNumber),
        [SIGNATURE_HEADER.toLowerCase()]: signWebhook(secret, Math.floor(nowMs / 1000), body),
      },
    };
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`webhook ${name} must be a positive number, got ${value}`);
  return value;
}
