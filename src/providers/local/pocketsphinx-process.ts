// One decoder process, fed raw PCM16. The streaming decoder (build/native/pocketsphinx-stream)
// reads any stdin and is spawned directly; pocketsphinx_continuous needs the FIFO set-up below.
//
// Node's child stdio pipes are socket pairs, and the decoder's `-infile /dev/stdin` cannot open a
// socket. So a tiny shell makes a FIFO, starts `cat` copying our socket into it, and then execs
// the decoder with the FIFO as its stdin. After the exec the spawned pid IS the decoder (its exit is the
// process's exit, its stdout is ours alone), and `cat` does the blocking I/O, so Node keeps its
// non-blocking socket with normal back-pressure. The process runs in its own process group so a
// kill reaches `cat` too.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The decoder's stderr is its log; the tail is kept to explain a crash. */
const STDERR_TAIL_BYTES = 4096;
/** After the decoder exits, how long its remaining output may take to arrive. */
const STDOUT_DRAIN_MS = 500;

const LAUNCH_SCRIPT = [
  'dir="$1"; shift',
  'fifo="$dir/audio.pcm"',
  'mkfifo -m 600 "$fifo" || exit 97',
  // A background job's stdin is /dev/null unless redirected, so hand it our stdin on fd 3.
  'exec 3<&0',
  'cat <&3 >"$fifo" &',
  'exec 3<&-',
  // Open the FIFO here (this waits for `cat` to open its end), then remove it at once: both ends
  // stay open, nothing is left on disk whatever happens next, and a decoder that dies while
  // loading its model cannot leave `cat` blocked on a FIFO nobody will open.
  'exec 4<"$fifo"',
  'rm -f "$fifo"; rmdir "$dir" 2>/dev/null',
  'exec "$@" -infile /dev/stdin 0<&4 4<&-',
].join('\n');

export type DecoderExit = { code: number | null; signal: NodeJS.Signals | null; stderrTail: string };

export type DecoderProcessOptions = {
  binary: string;
  /** Decoder arguments, without -infile. */
  args: readonly string[];
  /**
   * 'fifo' (default): pocketsphinx_continuous, given `-infile /dev/stdin` behind a FIFO.
   * 'stdin': a decoder that reads its stdin as it is (the streaming decoder).
   */
  input?: 'fifo' | 'stdin';
  /** Each chunk of the decoder's stdout, as it arrives. */
  onStdout: (text: string) => void;
  /** Once, when the decoder is gone (exit, kill or failure to start). */
  onExit: (exit: DecoderExit) => void;
};

export class DecoderProcess {
  private readonly child: ChildProcess;
  /** The FIFO's directory (null when spawned directly). */
  private readonly dir: string | null;
  private stderrTail = '';
  private exited = false;

  constructor(private readonly options: DecoderProcessOptions) {
    const direct = options.input === 'stdin';
    this.dir = direct ? null : mkdtempSync(join(tmpdir(), 'parley-pocketsphinx-'));
    const [command, args] = this.dir === null ? [options.binary, options.args] : ['sh', ['-c', LAUNCH_SCRIPT, 'pocketsphinx-launch', this.dir, options.binary, ...options.args]];
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (text: string) => options.onStdout(text));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    // Writes after the decoder died fail with EPIPE; the exit handler reports that.
    this.child.stdin?.on('error', () => {});
    this.child.on('error', (err) => {
      this.stderrTail += `\n${err.message}`;
      this.finish(null, null);
    });
    this.child.on('exit', (code, signal) => {
      // The feeder is useless now; if the shell died before its exec, `cat` may still hold our
      // stdout open: end it so stdout can end too.
      this.killGroup();
      // stdout may still hold the last utterance: read it to its end before reporting the exit.
      const stdout = this.child.stdout;
      if (!stdout || stdout.readableEnded) {
        this.finish(code, signal);
        return;
      }
      const done = () => this.finish(code, signal);
      stdout.once('end', done).once('close', done);
      setTimeout(done, STDOUT_DRAIN_MS).unref?.();
    });
  }

  /** The decoder's pid, which is also its process group id (undefined when spawning failed). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Bytes written but not yet taken by the pipe. */
  get queuedBytes(): number {
    return this.child.stdin?.writableLength ?? 0;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  /** Queues PCM16 little-endian bytes; false when the pipe is full (the bytes are still queued). */
  write(bytes: Uint8Array): boolean {
    if (this.exited || !this.child.stdin || this.child.stdin.destroyed) return false;
    return this.child.stdin.write(bytes);
  }

  /** Ends the audio: the decoder finishes its last utterance and exits by itself. */
  endInput(): void {
    if (!this.exited) this.child.stdin?.end();
  }

  /** Kills the decoder and its feeder at once. */
  kill(): void {
    this.killGroup();
    this.child.stdin?.destroy();
  }

  private killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    // The feeder `cat` outlives the decoder until its next write fails: end it now.
    this.killGroup();
    this.child.stdin?.destroy();
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.options.onExit({ code, signal, stderrTail: this.stderrTail });
  }
}
