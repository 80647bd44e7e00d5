// Runs a bench server script (`node --import tsx SCRIPT`) as a child process: waits for the one
// JSON line {"ready":true,"port":...} it prints once listening, keeps all its output in a log file
// for diagnosis, and says how it exited if it dies under load.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export type ReadyLine = { ready: true; port: number };

export type BenchServerProcess<R extends ReadyLine> = {
  pid: number;
  /** host:port on loopback. */
  base: string;
  ready: R;
  logFile: string;
  /** How the process ended, or null while it runs. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | null;
  stop(): Promise<void>;
};

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export async function spawnBenchServer<R extends ReadyLine>(root: string, script: string, args: string[], logFile: string): Promise<BenchServerProcess<R>> {
  mkdirSync(dirname(logFile), { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  const ready = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`)), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`${script} exited (code ${code}) before it was ready; see ${logFile}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{"ready":true')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as R);
    });
  });
  return {
    pid: child.pid!,
    base: `127.0.0.1:${ready.port}`,
    ready,
    logFile,
    exit: () => exit,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exit) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
