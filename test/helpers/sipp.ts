// SIPp (Debian's sip-tester, 3.6.1 with PCAP and RTPSTREAM) for tests: runs one scenario in the
// foreground on 127.0.0.1 and reads back what happened: the exit code, the successful and failed
// call counts (from the -trace_stat CSV), unexpected messages (-trace_err) and the final screens
// (-trace_screen). Scenario files written for Parley live in ./sipp-scenarios (sippScenario()).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freeUdpPortBlock, freeUdpTcpPort } from './free-port.js';

const run = promisify(execFile);

export const SIPP_BINARY = '/usr/bin/sipp';
/** The XML scenarios written for Parley's tests. */
export const SIPP_SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'sipp-scenarios');
/** The pcap files Debian ships with sip-tester (g711a.pcap, dtmf_2833_*.pcap). */
export const SIPP_PCAP_DIR = '/usr/share/sip-tester';
/** The file name uac-rtp.xml streams (rtp_stream takes no keywords, so it is fixed, in sipp's working directory). */
export const RTP_AUDIO_FILE = 'rtp-audio.ulaw';

const BUILTIN = new Set(['uac', 'uac_pcap', 'uas']);
/** Past -timeout, SIPp gets this long to wind down before it is killed. */
const KILL_GRACE_MS = 15_000;
const OUTPUT_CAP = 1_000_000;
const STOP_GRACE_MS = 5_000;

export type SippTransport = 'u1' | 'un' | 't1' | 'tn';

export interface SippOptions {
  /** An XML file path, a scenario in sipp-scenarios by name ('uac-basic'), or a built-in: 'uac' | 'uac_pcap' | 'uas'. */
  scenario: string;
  /** host:port to send to (UAC scenarios). */
  target?: string;
  /** -p: local SIP port; default a free one. */
  localPort?: number;
  /** -i and -mi: local SIP and media address; default 127.0.0.1. */
  localIp?: string;
  /** -m: stop after this many calls; default 1 (a UAS without it would run until timeoutS). */
  calls?: number;
  /** -r: calls per second. */
  rate?: number;
  /** -l: simultaneous calls at most. */
  concurrent?: number;
  /** -t: transport; default u1. */
  transport?: SippTransport;
  /** -timeout with -timeout_error: SIPp gives up (and fails) after this many seconds. */
  timeoutS: number;
  /** -d: the length of a scenario's bare <pause/> (how long uac-basic/uac-rtp hold the call). */
  durationMs?: number;
  /** -s: the user part called ([service]); default "service". */
  service?: string;
  /**
   * -mp: the media port ([media_port]). SIPp binds it and the port two above, and rtp_stream sends
   * from (and offers) the port four above. Default: a free block, so SIPps running at once (its
   * own default is always 6000) do not collide.
   */
  mediaPort?: number;
  /** A WAV file (any format sox reads) converted to 8 kHz mu-law as rtp-audio.ulaw for uac-rtp. */
  rtpAudioWav?: string;
  /** -key name value: [name] in the scenario. */
  vars?: Record<string, string>;
  /** -trace_msg: every SIP message sent and received, into `messages`. */
  traceMessages?: boolean;
  /** SIPp's working directory (trace files, rtp-audio.ulaw); default a temporary one, removed after. */
  workDir?: string;
  extraArgs?: string[];
}

export interface SippResult {
  /** 0: every call succeeded; 1: at least one failed; 97/99: stopped without a verdict; 255/254: fatal (e.g. bind). */
  exitCode: number;
  successful: number;
  failed: number;
  stdout: string;
  stderr: string;
  /** The -trace_err file: unexpected messages and errors ("" when there were none). */
  errors: string;
  /** The -trace_screen file: SIPp's final scenario, statistics and repartition screens. */
  stats?: string;
  /** The last -trace_stat CSV row by column name (e.g. FailedTimeoutOnRecv(C)). */
  counters: Record<string, string>;
  /** The -trace_msg file when traceMessages was set. */
  messages?: string;
  /** The command line run, for failure messages. */
  command: string;
}

/** A SIPp running in the background (a UAS waiting for calls). */
export interface SippProcess {
  /** The local SIP port it listens on. */
  readonly port: number;
  /** Its -mp media port ([media_port]); rtp_stream uses mediaPort + 4. */
  readonly mediaPort: number;
  /** Settles when SIPp exits by itself (after `calls` calls or timeoutS). */
  readonly done: Promise<SippResult>;
  /**
   * Ends it gracefully (SIGUSR1: it stops and writes its statistics; SIGTERM, then SIGKILL, if it
   * is still there 5 and 10 s later) and returns the result.
   */
  stop(): Promise<SippResult>;
}

/** The path of a scenario in sipp-scenarios, e.g. sippScenario('uac-basic'). */
export function sippScenario(name: string): string {
  const path = join(SIPP_SCENARIO_DIR, name.endsWith('.xml') ? name : `${name}.xml`);
  if (!existsSync(path)) throw new Error(`no SIPp scenario ${name} in ${SIPP_SCENARIO_DIR}`);
  return path;
}

/**
 * -sn/-sf for the scenario, plus the options a scenario file asks for on a `sipp-args:` line in
 * its comments (uac-retransmit needs -pause_msg_ign, which only the command line can set).
 */
function scenarioArgs(scenario: string): string[] {
  if (BUILTIN.has(scenario)) return ['-sn', scenario];
  const path = /^[a-z0-9-]+$/.test(scenario) ? sippScenario(scenario) : resolve(scenario);
  if (!existsSync(path)) throw new Error(`SIPp scenario file ${path} does not exist`);
  const wanted = /^\s*sipp-args:(.*)$/m.exec(readFileSync(path, 'utf8'));
  const extra = wanted ? wanted[1].trim().split(/\s+/).filter((arg) => arg.length > 0) : [];
  return ['-sf', path, ...extra];
}

function positiveInt(name: string, value: number | undefined, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`${name} must be an integer 1..${max}, got ${value}`);
}

/** Splits the last line of a ;-separated SIPp statistics CSV into named columns. */
export function parseStatCsv(csv: string): Record<string, string> {
  const lines = csv.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length < 2) return {};
  const names = lines[0].split(';');
  const values = lines[lines.length - 1].split(';');
  const row: Record<string, string> = {};
  names.forEach((name, i) => {
    if (name) row[name] = values[i] ?? '';
  });
  return row;
}

function readIfThere(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/**
 * True once some process has bound `port` (UDP) or listens on it (TCP), read from /proc/net so the
 * check never takes the port itself (a probe bind could make SIPp's own bind fail).
 */
function portBound(port: number, protocol: 'udp' | 'tcp'): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    const text = readIfThere(table);
    if (!text) continue;
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4) continue;
      const local = fields[1];
      const state = fields[3];
      if (local.endsWith(`:${hexPort}`) && (protocol === 'udp' || state === '0A')) return true;
    }
  }
  return false;
}

async function prepareRtpAudio(wav: string, workDir: string): Promise<void> {
  const input = resolve(wav);
  if (!existsSync(input)) throw new Error(`SIPp rtpAudioWav ${input} does not exist`);
  try {
    await run('sox', [input, '-t', 'raw', '-e', 'u-law', '-r', '8000', '-c', '1', join(workDir, RTP_AUDIO_FILE)]);
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`sox could not convert SIPp rtpAudioWav ${input}: ${detail.trim()}`);
  }
}

function appendCapped(current: string, chunk: Buffer): string {
  const next = current + chunk.toString('utf8');
  return next.length > OUTPUT_CAP ? next.slice(-OUTPUT_CAP) : next;
}

/** Starts SIPp; resolves once its SIP port is bound (or it has already exited). */
export async function startSipp(options: SippOptions): Promise<SippProcess> {
  if (!existsSync(SIPP_BINARY)) throw new Error(`${SIPP_BINARY} is missing: apt-get install sip-tester`);
  if (!(Number.isFinite(options.timeoutS) && options.timeoutS > 0 && options.timeoutS <= 3600)) {
    throw new RangeError(`timeoutS must be in (0, 3600], got ${options.timeoutS}`);
  }
  positiveInt('calls', options.calls, 1_000_000);
  positiveInt('concurrent', options.concurrent, 100_000);
  positiveInt('localPort', options.localPort, 65535);
  positiveInt('mediaPort', options.mediaPort, 65535);
  if (options.rate !== undefined && !(options.rate > 0)) throw new RangeError(`rate must be > 0, got ${options.rate}`);
  if (options.durationMs !== undefined && !(Number.isInteger(options.durationMs) && options.durationMs >= 0)) {
    throw new RangeError(`durationMs must be a whole number >= 0, got ${options.durationMs}`);
  }
  if (options.target !== undefined && !/^[^\s:]+:\d{1,5}$/.test(options.target)) {
    throw new Error(`target must be host:port, got ${JSON.stringify(options.target)}`);
  }
  for (const name of Object.keys(options.vars ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`SIPp key name ${JSON.stringify(name)} is not a plain identifier`);
  }
  const scenario = scenarioArgs(options.scenario);

  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ? resolve(options.workDir) : mkdtempSync(join(tmpdir(), 'parley-sipp-'));
  const ip = options.localIp ?? '127.0.0.1';
  let port: number;
  let mediaPort: number;
  try {
    if (options.rtpAudioWav) await prepareRtpAudio(options.rtpAudioWav, workDir);
    port = options.localPort ?? (await freeUdpTcpPort());
    mediaPort = options.mediaPort ?? (await freeUdpPortBlock(6));
  } catch (error) {
    if (ownsWorkDir) rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  const files = {
    errors: join(workDir, 'errors.log'),
    screen: join(workDir, 'screen.log'),
    stat: join(workDir, 'stat.csv'),
    messages: join(workDir, 'messages.log'),
  };
  const args = [
    ...scenario,
    ...(options.target ? [options.target] : []),
    '-i', ip,
    '-mi', ip,
    '-p', String(port),
    '-m', String(options.calls ?? 1),
    '-t', options.transport ?? 'u1',
    '-nostdin',
    '-timeout', `${options.timeoutS}s`,
    '-timeout_error',
    '-trace_err', '-error_file', files.errors,
    '-trace_screen', '-screen_file', files.screen,
    '-trace_stat', '-stf', files.stat,
    ...(options.traceMessages ? ['-trace_msg', '-message_file', files.messages] : []),
    ...(options.rate !== undefined ? ['-r', String(options.rate)] : []),
    ...(options.concurrent !== undefined ? ['-l', String(options.concurrent)] : []),
    ...(options.durationMs !== undefined ? ['-d', String(options.durationMs)] : []),
    ...(options.service !== undefined ? ['-s', options.service] : []),
    '-mp', String(mediaPort),
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ['-key', name, value]),
    ...(options.extraArgs ?? []),
  ];
  const command = `${SIPP_BINARY} ${args.join(' ')}`;

  const child = spawn(SIPP_BINARY, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout = appendCapped(stdout, chunk)));
  child.stderr.on('data', (chunk: Buffer) => (stderr = appendCapped(stderr, chunk)));
  let running = true;
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutS * 1000 + KILL_GRACE_MS);
  const done = new Promise<SippResult>((resolveDone) => {
    const finish = (exitCode: number, note: string): void => {
      // 'error' (could not spawn) may be followed by 'close'; the first one tells.
      if (!running) return;
      running = false;
      clearTimeout(killer);
      const counters = parseStatCsv(readIfThere(files.stat) ?? '');
      const result: SippResult = {
        exitCode,
        successful: Number(counters['SuccessfulCall(C)'] ?? 0),
        failed: Number(counters['FailedCall(C)'] ?? 0),
        stdout,
        stderr: note ? `${stderr}${note}\n` : stderr,
        errors: readIfThere(files.errors) ?? '',
        stats: readIfThere(files.screen),
        counters,
        messages: options.traceMessages ? readIfThere(files.messages) : undefined,
        command,
      };
      if (ownsWorkDir) rmSync(workDir, { recursive: true, force: true });
      resolveDone(result);
    };
    child.once('error', (error) => finish(-1, `[harness] could not run ${SIPP_BINARY}: ${error.message}`));
    child.once('close', (code, signal) => finish(code ?? -1, signal ? `[harness] SIPp ended by ${signal}` : ''));
  });

  // Wait for the SIP socket so a UAS is ready before anyone calls it. (A TCP client does not listen.)
  const protocol = (options.transport ?? 'u1').startsWith('u') ? 'udp' : 'tcp';
  const listens = protocol === 'udp' || !options.target;
  for (let i = 0; listens && running && i < 400 && !portBound(port, protocol); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }

  return {
    port,
    mediaPort,
    done,
    async stop() {
      if (running) {
        // SIGUSR1 asks SIPp to finish; one still waiting on a call in progress is then ended.
        child.kill('SIGUSR1');
        const term = setTimeout(() => child.kill('SIGTERM'), STOP_GRACE_MS);
        const kill = setTimeout(() => child.kill('SIGKILL'), 2 * STOP_GRACE_MS);
        await done;
        clearTimeout(term);
        clearTimeout(kill);
      }
      return done;
    },
  };
}

/** Runs SIPp to completion (it exits after `calls` calls, or fails at timeoutS). */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  return (await startSipp(options)).done;
}

/** A readable summary of a result for assertion messages. */
export function describeSipp(result: SippResult): string {
  return [
    `$ ${result.command}`,
    `exit ${result.exitCode}, successful ${result.successful}, failed ${result.failed}`,
    result.errors ? `--- errors ---\n${result.errors}` : '',
    result.stderr ? `--- stderr ---\n${result.stderr}` : '',
    result.stats ? `--- screens ---\n${result.stats}` : '',
    result.messages ? `--- messages ---\n${result.messages.slice(-20_000)}` : '',
  ]
    .filter((part) => part.length > 0)
    .join('\n');
}
