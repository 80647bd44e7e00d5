// Starts bench/capacity-server.ts in a child process and talks to it over loopback HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export type ServerChild = {
  pid: number;
  base: string;
  vad: string;
  vadFallback: string | null;
  rssMb(): number;
  stop(): Promise<void>;
};

export async function spawnServerChild(root: string, outDir: string, args: string[] = []): Promise<ServerChild> {
  mkdirSync(outDir, { recursive: true });
  // e.g. PARLEY_BENCH_SERVER_FLAGS=--cpu-prof to profile the server under load.
  const extra = (process.env.PARLEY_BENCH_SERVER_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...extra, '--import', 'tsx', '--expose-gc', join(root, 'bench', 'capacity-server.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The server's own log lines (and anything the flags above print) are kept for diagnosis.
  const logFile = createWriteStream(join(outDir, 'capacity-server.log'));
  child.stdout!.pipe(logFile);
  child.stderr!.pipe(logFile);
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ port: number; pid: number; vad: string; vad_fallback: string | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('capacity server did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`capacity server exited (code ${code}); see ${join(outDir, 'capacity-server.log')}`)));
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; port: number; pid: number; vad: string; vad_fallback: string | null };
        if (msg.ready) {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // pino or other output: ignore
      }
    });
  });
  const pid = child.pid!;
  return {
    pid,
    base: `127.0.0.1:${ready.port}`,
    vad: ready.vad,
    vadFallback: ready.vad_fallback,
    rssMb: () => {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : Number.NaN;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function post(url: string): Promise<void> {
  const res = await fetch(url, { method: 'POST' });
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
}
