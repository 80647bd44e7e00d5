// Readiness: whether this process should get traffic now. Named checks (database, Redis, providers,
// bus) run side by side, each within its timeout; during shutdown every answer is "not ready".
import { systemClock, type Clock } from '../clock.js';

export type CheckResult = { ok: boolean; reason?: string };

export type ReadinessCheck = {
  /** The key of this check in the report; unique. */
  name: string;
  check(): Promise<CheckResult>;
  /** Overrides the Readiness default. */
  timeoutMs?: number;
  /** Lets go of what the check holds (a connection it opened). */
  close?(): void | Promise<void>;
};

export type ReadinessReport = {
  status: 'ready' | 'not_ready';
  /** Set while draining: why every check was skipped. */
  reason?: string;
  checks: Record<string, CheckResult>;
};

export type ReadinessOptions = {
  /** Where check timeouts are measured. Default: the system clock. */
  clock?: Clock;
  /** A check that has not answered by then is not ok, reason 'timed out'. Default 2000 ms. */
  timeoutMs?: number;
};

export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

/** A reason from anything thrown: the message, else a code, else the first of several errors. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0 && !err.message) return describeError(err.errors[0]);
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private drainingReason: string | null = null;

  constructor(checks: ReadinessCheck[] = [], options: ReadinessOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${this.timeoutMs}`);
    for (const check of checks) this.add(check);
  }

  add(check: ReadinessCheck): this {
    if (!check.name) throw new Error('a readiness check needs a name');
    if (this.checks.has(check.name)) throw new Error(`readiness check "${check.name}" is already registered`);
    this.checks.set(check.name, check);
    return this;
  }

  /** From now on the process is not ready, whatever the checks say (graceful shutdown). */
  setDraining(reason = 'shutting down'): void {
    this.drainingReason = reason;
  }

  get draining(): string | null {
    return this.drainingReason;
  }

  async run(): Promise<ReadinessReport> {
    if (this.drainingReason !== null) return { status: 'not_ready', reason: this.drainingReason, checks: {} };
    const entries = await Promise.all([...this.checks.values()].map(async (c) => [c.name, await this.runOne(c)] as const));
    const checks = Object.fromEntries(entries);
    return { status: entries.every(([, r]) => r.ok) ? 'ready' : 'not_ready', checks };
  }

  async close(): Promise<void> {
    await Promise.all([...this.checks.values()].map(async (c) => c.close?.()));
  }

  private runOne(check: ReadinessCheck): Promise<CheckResult> {
    const timeoutMs = check.timeoutMs ?? this.timeoutMs;
    return new Promise<CheckResult>((resolve) => {
      const timer = this.clock.setTimeout(() => resolve({ ok: false, reason: 'timed out' }), timeoutMs);
      const settle = (result: CheckResult): void => {
        timer.cancel();
        resolve(result.ok ? { ok: true, ...(result.reason ? { reason: result.reason } : {}) } : { ok: false, reason: result.reason || 'failed' });
      };
      let running: Promise<CheckResult>;
      try {
        running = check.check();
      } catch (err) {
        running = Promise.reject(err);
      }
      running.then(settle, (err: unknown) => settle({ ok: false, reason: describeError(err) }));
    });
  }
}
