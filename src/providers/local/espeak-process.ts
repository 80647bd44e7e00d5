// One espeak-ng process = one synthesis: it is started with the voice settings as arguments,
// receives its text on stdin, writes a WAV stream on stdout and exits. Synthesis runs in that
// process, off Node's event loop; this class only moves bytes and reports how the process ended.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { ProviderError } from '../provider-error.js';
import { AbortedError } from '../types.js';
import { exitError, spawnError } from './espeak-errors.js';

/** Stop reading stdout (espeak then blocks on its write) while this much is waiting for the consumer. */
const HIGH_WATER_BYTES = 1 << 20;
const LOW_WATER_BYTES = 256 << 10;
const STDERR_LIMIT = 2048;

type Waiter = () => void;

export class EspeakProcess {
  private readonly child: ChildProcess;
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private paused = false;
  private waiter: Waiter | null = null;
  private failure: ProviderError | null = null;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stderr = '';
  private killed = false;
  private sent = false;
  /** Resolves once the process is gone (or never started). */
  readonly exited: Promise<void>;

  /**
   * Starts the process at once. `idle` leaves it unreferenced until `send`, so a process kept
   * waiting for text does not keep Node running.
   */
  constructor(
    private readonly binary: string,
    readonly args: readonly string[],
    idle = false,
  ) {
    this.child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const { stdin, stdout, stderr } = this.child;
    if (!stdin || !stdout || !stderr) throw new Error('spawn gave no stdio pipes');
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve();
        this.wake();
      });
      this.child.once('error', (err) => {
        // 'error' after a successful start only means a kill() failed; the process state still comes from 'close'.
        if (this.child.pid !== undefined) return;
        this.failure = spawnError(binary, err);
        resolve();
        this.wake();
      });
    });
    // The process may die before reading its text (bad voice, killed): EPIPE here, the exit code tells why.
    stdin.on('error', () => {});
    stdout.on('data', (chunk: Buffer) => {
      if (this.killed) return;
      this.chunks.push(chunk);
      this.queued += chunk.length;
      if (this.queued > HIGH_WATER_BYTES && !this.paused) {
        this.paused = true;
        stdout.pause();
      }
      this.wake();
    });
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => {
      if (this.stderr.length < STDERR_LIMIT) this.stderr = (this.stderr + text).slice(0, STDERR_LIMIT);
    });
    if (idle) this.setRef(false);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Started and not yet ended: can still take text. */
  get alive(): boolean {
    return !this.sent && !this.killed && this.failure === null && this.exit === null && this.child.pid !== undefined;
  }

  /** Gives the process its text (then end of input, which starts synthesis). Once only. */
  send(text: string): void {
    if (this.sent) throw new Error('text already sent');
    this.sent = true;
    this.setRef(true);
    this.child.stdin?.end(text, 'utf8');
  }

  /**
   * The next stdout bytes; null at a clean end (exit code 0). Throws AbortedError once `signal`
   * fired (the caller kills), a ProviderError when the process could not start or ended badly.
   */
  async next(signal: AbortSignal): Promise<Buffer | null> {
    for (;;) {
      if (signal.aborted || this.killed) throw new AbortedError();
      const chunk = this.chunks.shift();
      if (chunk) {
        this.queued -= chunk.length;
        if (this.paused && this.queued < LOW_WATER_BYTES) {
          this.paused = false;
          this.child.stdout?.resume();
        }
        return chunk;
      }
      if (this.failure) throw this.failure;
      if (this.exit) {
        const { code, signal: exitSignal } = this.exit;
        if (code === 0) return null;
        throw exitError(this.binary, code, exitSignal, this.stderr);
      }
      await this.changed(signal);
    }
  }

  /** SIGKILL at once and drop whatever output is still queued. Safe to call more than once. */
  kill(): void {
    if (!this.killed) {
      this.killed = true;
      if (this.exit === null && this.failure === null) {
        this.child.kill('SIGKILL');
        // A waiting (unreferenced) process is referenced again so whoever awaits `exited` sees it go.
        this.setRef(true);
      }
    }
    this.chunks.length = 0;
    this.queued = 0;
    this.wake();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        this.waiter = null;
        resolve();
      };
      this.waiter = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    this.waiter?.();
  }

  private setRef(ref: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Array<Partial<Pick<Socket, 'ref' | 'unref'>> | null>;
    for (const handle of handles) {
      if (ref) handle?.ref?.();
      else handle?.unref?.();
    }
  }
}
