// SIGTERM on a real `parley` process: it stops taking calls (new ones are refused, /ready says
// 503) while the call in progress goes on to its end, then writes everything and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { VoiceClient } from '../helpers/voice-client.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`parley exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('parley did not come up');
}

async function say(client: VoiceClient, text: string): Promise<void> {
  const from = client.received.length;
  client.send({ type: 'text_input', text });
  await client.waitFor((m) => m.type === 'turn_complete', 15000, from);
}

describe('graceful shutdown', () => {
  it('lets the running call finish after SIGTERM, refuses new ones, flushes and exits 0', async () => {
    const port = await freePort();
    const database = join(dir, 'parley.db');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        PARLEY_STT: 'simulated',
        PARLEY_LLM: 'simulated',
        PARLEY_TTS: 'simulated',
        PARLEY_VAD: 'energy',
        PARLEY__AGENT__FLOW: 'null',
        PARLEY__AGENT__TOOLS: '["time"]',
        PARLEY__AGENT__GREETING: 'null',
        PARLEY__APPOINTMENTS__DATABASE: ':memory:',
        PARLEY__TELEPHONY__SIP__PORT: '0',
        PARLEY__STORE__SQLITE_PATH: database,
        PARLEY__STORE__WRITE_QUEUE__SPILL_PATH: join(dir, 'spill.jsonl'),
        PARLEY__SERVER__DRAIN_TIMEOUT_MS: '20000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(base, child);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      const caller = await VoiceClient.connect(`ws://127.0.0.1:${port}/ws/voice`);
      caller.send({ type: 'start_session' });
      const callId = String((await caller.waitFor((m) => m.type === 'session_ready')).session_id);
      await say(caller, 'Hello there.');

      child.kill('SIGTERM');
      // Draining: not ready, and a new call is refused while the running one goes on.
      let ready = 200;
      for (let i = 0; i < 50 && ready === 200; i++) {
        ready = (await fetch(`${base}/ready`)).status;
        if (ready === 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(ready).toBe(503);
      const late = await VoiceClient.connect(`ws://127.0.0.1:${port}/ws/voice`);
      late.send({ type: 'start_session' });
      await late.waitFor((m) => m.type === 'error' && m.code === 'unavailable');
      late.close();
      await say(caller, 'One more thing before you go.');
      caller.send({ type: 'end_session' });
      await caller.waitFor((m) => m.type === 'session_ended');
      expect(await exited).toBe(0);

      const store = openStore({ sqlitePath: database });
      try {
        const detail = await store.repository.getCall('default', callId);
        expect(detail?.call).toMatchObject({ status: 'completed', endReason: 'client ended the session' });
        expect(detail?.turns.map((t) => t.userTranscript)).toEqual(['Hello there.', 'One more thing before you go.']);
      } finally {
        await store.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      if (stderr.trim()) console.error(stderr);
    }
  }, 90_000);
});
