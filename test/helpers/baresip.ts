// A real SIP softphone for tests: Debian's baresip 1.0.0, run headless on 127.0.0.1 with a
// throwaway config directory. Its microphone is a WAV file (aufile), what it hears and what it
// sends are written to WAV files (sndfile), and it is driven over ctrl_tcp (netstring-framed
// JSON commands and events) plus the cons console for DTMF, which ctrl_tcp cannot send in 1.0.0.
// docs/testing-telephony.md says which config keys 1.0.0 honours and what it does on its own.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeWav } from '../../src/audio/wav.js';
import { freeUdpTcpPort } from './free-port.js';

const run = promisify(execFile);

export const BARESIP_BINARY = '/usr/bin/baresip';
export const BARESIP_MODULES = '/usr/lib/baresip/modules';
/** baresip's own RTP ports; kept clear of Parley's default 20000-29999. */
const RTP_PORTS = '40000-49999';
/** The microphone is resampled to this: the only codecs loaded are G.711 (8 kHz). */
const MIC_RATE = 8000;
const COMMAND_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
/** Every `key` in 1.0.0's in-call menu sends that digit as an RFC 4733 event; 0x04 releases it. */
const KEY_RELEASE = '\x04';
const DTMF_DIGITS = /^[0-9*#]+$/;

export interface BaresipOptions {
  /** Local SIP port (UDP and TCP) on 127.0.0.1; default a free one. */
  sipPort?: number;
  /** User part of the account, so the UA is `sip:<user>@127.0.0.1:<port>`; default `baresip`. */
  user?: string;
  /**
   * A WAV file played as the microphone (any rate/channels sox reads; converted to 8 kHz mono
   * PCM16). Without it the microphone is silence.
   */
  microphoneWav?: string;
  /**
   * Seconds of silence after the microphone audio. baresip 1.0.0 ends the call itself (AUDIO_ERROR
   * "end of file") when the file runs out, so this is how long a call can outlive the speech.
   * 0 makes it hang up as soon as it has said its piece. Default 120.
   */
  microphoneTailS?: number;
  /** Answer incoming calls at once (answermode=auto); otherwise they ring until `answer()`. */
  autoAnswer?: boolean;
  /** Audio codecs offered/accepted, in order of preference; default PCMU then PCMA. */
  codecs?: ReadonlyArray<'PCMU' | 'PCMA'>;
  /** Config directory to write; default a fresh one under the OS temp dir, removed by `remove()`. */
  dir?: string;
}

/** One event baresip reported over ctrl_tcp (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, ...). */
export interface BaresipEvent {
  type: string;
  class?: string;
  /** Event detail: the peer URI for call states, the close reason for CALL_CLOSED. */
  param?: string;
  peerUri?: string;
  callId?: string;
  direction?: string;
  /** The whole message as baresip sent it. */
  raw: Record<string, unknown>;
}

interface PendingCommand {
  resolve: (data: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Waiter {
  check: () => boolean;
  reject: (error: Error) => void;
}

/** Encodes one netstring (`<length>:<payload>,`), the framing ctrl_tcp uses both ways. */
export function encodeNetstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'latin1'), body, Buffer.from(',', 'latin1')]);
}

/** Splits complete netstrings off the front of `buffer`; returns them and the unconsumed rest. */
export function decodeNetstrings(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const colon = buffer.indexOf(0x3a, at);
    if (colon < 0) break;
    const header = buffer.subarray(at, colon).toString('latin1');
    if (!/^\d{1,9}$/.test(header)) throw new Error(`ctrl_tcp sent a bad netstring length ${JSON.stringify(header)}`);
    const length = Number(header);
    const end = colon + 1 + length;
    if (buffer.length < end + 1) break;
    if (buffer[end] !== 0x2c) throw new Error(`ctrl_tcp netstring of ${length} bytes does not end with ","`);
    messages.push(buffer.subarray(colon + 1, end).toString('utf8'));
    at = end + 1;
  }
  return { messages, rest: buffer.subarray(at) };
}

/** Removes the call status line baresip redraws with `\r` ten times a second. */
/** baresip colours warnings with ANSI escapes (ESC [ ... m). */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function withoutStatusLines(text: string): string {
  return text
    .replace(ANSI_COLOUR, '')
    .split(/(?<=[\r\n])/)
    .filter((piece) => !/^\[\d+:\d\d:\d\d\] audio=/.test(piece))
    .join('')
    .replace(/\r/g, '');
}

function configText(o: { sipPort: number; ctrlPort: number; consPort: number; microphone: string; recordings: string }): string {
  // No audio_player and no audio_alert: there is no sound device here, and baresip still decodes
  // what it receives (so sndfile records it) with no player set.
  return [
    'poll_method\t\tepoll',
    `sip_listen\t\t127.0.0.1:${o.sipPort}`,
    // An IP address, not an interface name: 1.0.0 finds no address for "lo" and would put eth0's
    // address in Contact and SDP.
    'net_interface\t\t127.0.0.1',
    'call_local_timeout\t120',
    'call_max_calls\t\t4',
    `audio_source\t\taufile,${o.microphone}`,
    'audio_level\t\tno',
    'ausrc_format\t\ts16',
    'auplay_format\t\ts16',
    'auenc_format\t\ts16',
    'audec_format\t\ts16',
    'audio_buffer\t\t20-160',
    `rtp_ports\t\t${RTP_PORTS}`,
    'rtcp_mux\t\tno',
    'jitter_buffer_delay\t5-10',
    'rtp_stats\t\tno',
    `module_path\t\t${BARESIP_MODULES}`,
    'module\t\t\tg711.so',
    'module\t\t\taufile.so',
    'module\t\t\tsndfile.so',
    'module_app\t\taccount.so',
    // menu provides the dial/accept/hangup commands and the in-call DTMF keys.
    'module_app\t\tmenu.so',
    'module_app\t\tctrl_tcp.so',
    'module_app\t\tcons.so',
    `ctrl_tcp_listen\t\t127.0.0.1:${o.ctrlPort}`,
    `cons_listen\t\t127.0.0.1:${o.consPort}`,
    `snd_path\t\t${o.recordings}`,
    '',
  ].join('\n');
}

async function prepareMicrophone(source: string | undefined, tailS: number, target: string): Promise<void> {
  if (source === undefined) {
    // aufile refuses an empty file: at least one 20 ms frame of silence.
    const samples = new Int16Array(Math.max(MIC_RATE / 50, Math.round(tailS * MIC_RATE)));
    writeFileSync(target, writeWav({ sampleRate: MIC_RATE, channels: 1, samples }));
    return;
  }
  const input = resolve(source);
  if (!existsSync(input)) throw new Error(`baresip microphoneWav ${input} does not exist`);
  const args = [input, '-r', String(MIC_RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', target];
  if (tailS > 0) args.push('pad', '0', String(tailS));
  try {
    await run('sox', args);
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`sox could not convert baresip microphoneWav ${input}: ${detail.trim()}`);
  }
}

/** A running baresip. Create with `startBaresip`. */
export class Baresip {
  /** Where to call this UA. */
  readonly sipUri: string;
  private readonly events_: BaresipEvent[] = [];
  private readonly consumed = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly pending = new Map<string, PendingCommand>();
  private nextToken = 1;
  private logText = '';
  private exitInfo: string | undefined;
  private ctrl: Socket | undefined;
  private cons: Socket | undefined;
  private ctrlBuffer: Buffer = Buffer.alloc(0);
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly sipPort: number,
    readonly ctrlPort: number,
    readonly consPort: number,
    user: string,
    private readonly ownsDir: boolean,
  ) {
    this.sipUri = `sip:${user}@127.0.0.1:${sipPort}`;
    child.stdout?.on('data', (chunk: Buffer) => this.appendLog(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.appendLog(chunk.toString('utf8')));
    this.exited = new Promise((resolveExit) => {
      const ended = (info: string): void => {
        if (this.exitInfo !== undefined) return;
        this.exitInfo = info;
        this.failAll(new Error(`baresip exited (${info})`));
        resolveExit();
      };
      child.once('exit', (code, signal) => ended(signal ? `signal ${signal}` : `code ${code}`));
      // spawn failures (binary not executable) come as 'error' with no 'exit'.
      child.once('error', (error) => ended(`not started: ${error.message}`));
    });
  }

  /** @internal Use startBaresip. */
  static async launch(options: BaresipOptions): Promise<Baresip> {
    const tailS = options.microphoneTailS ?? 120;
    if (!(tailS >= 0 && tailS <= 3600)) throw new RangeError(`microphoneTailS must be 0..3600, got ${tailS}`);
    const user = options.user ?? 'baresip';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(user)) throw new RangeError(`baresip user ${JSON.stringify(user)} is not a plain SIP user part`);
    const codecs = options.codecs ?? ['PCMU', 'PCMA'];
    if (codecs.length === 0) throw new RangeError('baresip needs at least one codec');
    const { sipPort: wantedPort } = options;
    if (wantedPort !== undefined && !(Number.isInteger(wantedPort) && wantedPort >= 1 && wantedPort <= 65535)) {
      throw new RangeError(`sipPort must be an integer 1..65535, got ${wantedPort}`);
    }
    if (options.microphoneWav !== undefined && !existsSync(resolve(options.microphoneWav))) {
      throw new Error(`baresip microphoneWav ${resolve(options.microphoneWav)} does not exist`);
    }
    if (!existsSync(BARESIP_BINARY)) throw new Error(`${BARESIP_BINARY} is missing: apt-get install baresip`);
    const ownsDir = options.dir === undefined;
    const dir = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), 'parley-baresip-'));
    const recordings = join(dir, 'recordings');
    const microphone = join(dir, 'microphone.wav');
    let ports: { sipPort: number; ctrlPort: number; consPort: number };
    try {
      mkdirSync(recordings, { recursive: true });
      await prepareMicrophone(options.microphoneWav, tailS, microphone);
      ports = {
        sipPort: options.sipPort ?? (await freeUdpTcpPort()),
        ctrlPort: await freeUdpTcpPort(),
        consPort: await freeUdpTcpPort(),
      };
    } catch (error) {
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const { sipPort, ctrlPort, consPort } = ports;
    writeFileSync(join(dir, 'config'), configText({ sipPort, ctrlPort, consPort, microphone, recordings }));
    // regint=0: no registrar, the UA just listens; calls reach it directly at sipUri.
    const answermode = options.autoAnswer ? 'auto' : 'manual';
    writeFileSync(
      join(dir, 'accounts'),
      `<sip:${user}@127.0.0.1:${sipPort}>;regint=0;answermode=${answermode};audio_codecs=${codecs.join(',')}\n`,
    );

    const child = spawn(BARESIP_BINARY, ['-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ua = new Baresip(child, dir, sipPort, ctrlPort, consPort, user, ownsDir);
    try {
      await ua.waitForLog('baresip is ready.', START_TIMEOUT_MS);
      ua.ctrl = await ua.openSocket(ctrlPort, 'ctrl_tcp');
      ua.ctrl.on('data', (chunk: Buffer) => ua.onCtrlData(chunk));
      ua.cons = await ua.openSocket(consPort, 'cons');
      // The console echoes baresip's log lines, which stdout already has: read and drop.
      ua.cons.resume();
      // A command round trip proves ctrl_tcp parses our framing before anyone relies on it.
      await ua.command('uafind', `sip:${user}@127.0.0.1:${sipPort}`);
    } catch (error) {
      await ua.remove();
      throw new Error(`baresip did not start: ${(error as Error).message}\n--- baresip log ---\n${ua.log()}`);
    }
    return ua;
  }

  /** baresip's stdout and stderr so far, without the call status line. */
  log(): string {
    return withoutStatusLines(this.logText);
  }

  /** Every event received so far, in order. */
  events(): readonly BaresipEvent[] {
    return this.events_;
  }

  /** Places a call; resolves when baresip accepted the command (the call itself goes on). */
  async dial(uri: string): Promise<void> {
    if (!/^sips?:[^\s]+$/.test(uri)) throw new Error(`dial needs a sip: URI, got ${JSON.stringify(uri)}`);
    await this.command('dial', uri);
  }

  /** Answers the ringing incoming call (for a UA started without autoAnswer). */
  async answer(): Promise<void> {
    await this.command('accept');
  }

  /** Hangs up the current call (BYE when established, CANCEL while ringing out). */
  async hangup(): Promise<void> {
    await this.command('hangup');
  }

  /**
   * Sends DTMF in the current call as RFC 4733 telephone-events: each digit held `toneMs`, then
   * released, then `gapMs` before the next.
   */
  async sendDtmf(digits: string, toneMs = 120, gapMs = 120): Promise<void> {
    if (!DTMF_DIGITS.test(digits)) throw new Error(`DTMF digits must be 0-9, * or #; got ${JSON.stringify(digits)}`);
    const cons = this.cons;
    if (!cons || cons.destroyed) throw new Error(`baresip console is not connected\n${this.log()}`);
    for (const digit of digits) {
      cons.write(digit);
      await new Promise((r) => setTimeout(r, toneMs));
      cons.write(KEY_RELEASE);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  /** Digits received as RFC 4733 events so far (each counted at its end packet). */
  receivedDtmf(): string {
    const digits: string[] = [];
    for (const match of this.log().matchAll(/received event: '(.)' \(end=1\)/g)) digits.push(match[1]);
    return digits.join('');
  }

  /**
   * The next event of `type` not yet returned by a wait for that type: the first call returns the
   * first such event, the second call the second, whether it came before or after the wait began.
   */
  waitForEvent(type: string, timeoutMs: number): Promise<BaresipEvent> {
    return new Promise((resolveWait, rejectWait) => {
      const index = this.consumed.get(type) ?? 0;
      const waiter: Waiter = {
        check: () => {
          const found = this.events_.filter((e) => e.type === type)[index];
          if (!found) return false;
          this.consumed.set(type, index + 1);
          finish();
          resolveWait(found);
          return true;
        },
        reject: (error) => {
          finish();
          rejectWait(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.reject(new Error(`no ${type} event (#${index + 1}) from baresip ${this.sipUri} within ${timeoutMs} ms; ` +
          `events: ${this.events_.map((e) => e.type).join(', ') || 'none'}\n--- baresip log ---\n${this.log()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (waiter.check()) return;
      if (this.exitInfo) {
        waiter.reject(new Error(`baresip exited (${this.exitInfo}) before ${type}\n--- baresip log ---\n${this.log()}`));
        return;
      }
      this.waiters.add(waiter);
    });
  }

  waitForIncomingCall(timeoutMs: number): Promise<BaresipEvent> {
    return this.waitForEvent('CALL_INCOMING', timeoutMs);
  }

  waitForCallEstablished(timeoutMs: number): Promise<BaresipEvent> {
    return this.waitForEvent('CALL_ESTABLISHED', timeoutMs);
  }

  /** The event's `param` is baresip's reason, e.g. "Connection reset by peer" for a BYE received. */
  waitForCallClosed(timeoutMs: number): Promise<BaresipEvent> {
    return this.waitForEvent('CALL_CLOSED', timeoutMs);
  }

  /**
   * The WAV files sndfile wrote, sorted: per call `dump-<local time to the second>-dec.wav`
   * (decoded received audio: what baresip heard) and `-enc.wav` (what it sent). A file is
   * complete only once its call has closed. Two calls starting in the same second share names
   * in 1.0.0, the later overwriting the earlier.
   */
  recordings(): string[] {
    const folder = join(this.dir, 'recordings');
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((name) => name.endsWith('.wav'))
      .sort()
      .map((name) => join(folder, name));
  }

  /** Recordings of what baresip heard (received, decoded). */
  heardRecordings(): string[] {
    return this.recordings().filter((path) => path.endsWith('-dec.wav'));
  }

  /** Recordings of what baresip sent (its microphone, before encoding). */
  sentRecordings(): string[] {
    return this.recordings().filter((path) => path.endsWith('-enc.wav'));
  }

  /** Stops baresip (SIGTERM: it hangs up its calls and closes its recordings); keeps the directory. */
  async stop(): Promise<void> {
    this.ctrl?.destroy();
    this.cons?.destroy();
    if (this.exitInfo === undefined) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(killer);
    }
  }

  /** Stops baresip and deletes the config directory if this harness created it. */
  async remove(): Promise<void> {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one ctrl_tcp command; resolves with its text, rejects when baresip says it failed. */
  async command(command: string, params?: string): Promise<string> {
    const ctrl = this.ctrl;
    if (!ctrl || ctrl.destroyed) throw new Error(`baresip ctrl_tcp is not connected (${this.exitInfo ?? 'running'})`);
    const token = `t${this.nextToken++}`;
    const message = JSON.stringify(params === undefined ? { command, token } : { command, params, token });
    return new Promise((resolveCommand, rejectCommand) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        rejectCommand(new Error(`baresip did not answer "${command}" within ${COMMAND_TIMEOUT_MS} ms\n${this.log()}`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(token, { resolve: resolveCommand, reject: rejectCommand, timer });
      ctrl.write(encodeNetstring(message));
    });
  }

  private appendLog(text: string): void {
    this.logText += text;
    if (this.logText.length > 4_000_000) this.logText = this.logText.slice(-2_000_000);
  }

  private onCtrlData(chunk: Buffer): void {
    this.ctrlBuffer = Buffer.concat([this.ctrlBuffer, chunk]);
    let decoded: { messages: string[]; rest: Buffer };
    try {
      decoded = decodeNetstrings(this.ctrlBuffer);
    } catch (error) {
      this.appendLog(`\n[harness] ${(error as Error).message}\n`);
      this.ctrl?.destroy();
      this.failAll(error as Error);
      return;
    }
    this.ctrlBuffer = decoded.rest;
    for (const text of decoded.messages) this.onCtrlMessage(text);
  }

  private onCtrlMessage(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.appendLog(`\n[harness] ctrl_tcp sent non-JSON: ${text}\n`);
      return;
    }
    if (message.response === true) {
      const token = typeof message.token === 'string' ? message.token : '';
      const pending = this.pending.get(token);
      if (!pending) return;
      this.pending.delete(token);
      clearTimeout(pending.timer);
      const data = typeof message.data === 'string' ? message.data : '';
      if (message.ok === true) pending.resolve(data);
      else pending.reject(new Error(`baresip refused the command: ${data.trim()}`));
      return;
    }
    if (message.event === true || message.event === 'true') {
      const str = (key: string): string | undefined => (typeof message[key] === 'string' ? (message[key] as string) : undefined);
      this.events_.push({
        type: str('type') ?? 'UNKNOWN',
        class: str('class'),
        param: str('param'),
        peerUri: str('peeruri'),
        callId: str('id'),
        direction: str('direction'),
        raw: message,
      });
      for (const waiter of [...this.waiters]) waiter.check();
    }
  }

  private failAll(error: Error): void {
    const withLog = new Error(`${error.message}\n--- baresip log ---\n${this.log()}`);
    for (const [token, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(withLog);
      this.pending.delete(token);
    }
    for (const waiter of [...this.waiters]) waiter.reject(withLog);
  }

  private waitForLog(marker: string, timeoutMs: number): Promise<void> {
    return new Promise((resolveLog, rejectLog) => {
      const started = Date.now();
      const poll = (): void => {
        if (this.logText.includes(marker)) return resolveLog();
        if (this.exitInfo) return rejectLog(new Error(`baresip exited (${this.exitInfo}) before "${marker}"`));
        if (Date.now() - started > timeoutMs) return rejectLog(new Error(`no "${marker}" within ${timeoutMs} ms`));
        setTimeout(poll, 20);
      };
      poll();
    });
  }

  private openSocket(port: number, what: string): Promise<Socket> {
    return new Promise((resolveSocket, rejectSocket) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.on('error', (error) => this.appendLog(`\n[harness] ${what} socket: ${error.message}\n`));
        resolveSocket(socket);
      });
      socket.once('error', (error) => rejectSocket(new Error(`cannot connect to baresip ${what} on 127.0.0.1:${port}: ${error.message}`)));
    });
  }
}

/**
 * Starts baresip with a throwaway headless config; rejects with its log if it does not come up.
 * When the harness chose the ports itself and lost one to another process between choosing and
 * binding, it tries again with new ones (twice at most).
 */
export async function startBaresip(options: BaresipOptions = {}): Promise<Baresip> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await Baresip.launch(options);
    } catch (error) {
      const lostPort = /Address already in use/.test((error as Error).message) && options.sipPort === undefined;
      if (!lostPort || attempt >= 3) throw error;
    }
  }
}
