// Parley on a machine without the offline speech packages (a non-root `npm start` could not
// install them): it starts with what it has, logs what is missing with the command that installs
// it, and /health and the page say so. Simulated by probing an empty PATH and model directory.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { withThrowawayStore } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { unavailableLocalEngines, usableChain } from '../../src/providers/local/local-availability.js';
import { VoiceClient } from '../helpers/voice-client.js';

let dir: string;
let empty: { path: string; pocketsphinx: { hmmDir: string } };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-bare-'));
  empty = { path: dir, pocketsphinx: { hmmDir: join(dir, 'no-model') } };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('which local engines can run', () => {
  it('finds pocketsphinx and espeak-ng on this machine', () => {
    expect(unavailableLocalEngines({ stt: ['pocketsphinx'], tts: ['espeak'] })).toEqual([]);
  });

  it('names what is missing and the command that installs it', () => {
    const missing = unavailableLocalEngines({ stt: ['pocketsphinx', 'simulated'], tts: ['espeak'] }, empty);
    expect(missing.map((m) => [m.kind, m.engine])).toEqual([
      ['stt', 'pocketsphinx'],
      ['tts', 'espeak'],
    ]);
    expect(missing[0].reason).toContain('pocketsphinx_continuous');
    expect(missing[0].reason).toContain('no-model');
    expect(missing[0].install).toMatch(/apt-get install -y pocketsphinx pocketsphinx-en-us$/);
    expect(missing[1].install).toMatch(/apt-get install -y espeak-ng$/);
  });

  it('asks nothing about engines the configuration does not use', () => {
    expect(unavailableLocalEngines({ stt: ['deepgram'], tts: ['elevenlabs'] }, empty)).toEqual([]);
  });

  it('drops missing engines from a chain unless nothing would be left', () => {
    const missing = unavailableLocalEngines({ stt: ['pocketsphinx'], tts: [] }, empty);
    expect(usableChain(['pocketsphinx', 'simulated'], missing)).toEqual(['simulated']);
    expect(usableChain(['deepgram', 'pocketsphinx'], missing)).toEqual(['deepgram']);
    expect(usableChain(['pocketsphinx'], missing)).toEqual(['pocketsphinx']);
  });
});

describe('starting without the offline speech packages', () => {
  let parley: Parley;
  let base: string;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const config = withThrowawayStore(loadConfig({ env: {}, file: '/dev/null' }));
    config.appointments.database = ':memory:';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    parley = await createParley(config, { log: createLogger('warn', sink), engineProbe: empty });
    await parley.app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(parley.app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await parley?.close();
  });

  it('logs each missing engine once, with the install command and what is used instead', () => {
    const warnings = logLines.filter((l) => l.level === 'warn' && typeof l.engine === 'string');
    expect(warnings.map((w) => w.engine)).toEqual(['pocketsphinx', 'espeak']);
    expect(String(warnings[0].msg)).toMatch(/pocketsphinx cannot run here .*install it with `.*apt-get install -y pocketsphinx pocketsphinx-en-us`\. Until then STT uses simulated/);
    expect(String(warnings[1].msg)).toMatch(/Until then TTS uses simulated/);
  });

  it('shows the engines in use and the missing ones on /health', async () => {
    const health = (await (await fetch(`http://${base}/health`)).json()) as Record<string, unknown>;
    expect(health.engines).toMatchObject({ stt: 'simulated', llm: 'flow', tts: 'simulated' });
    expect((health.unavailable_engines as { engine: string }[]).map((u) => u.engine)).toEqual(['pocketsphinx', 'espeak']);
  });

  it('still takes calls, with the engines it has', async () => {
    const client = await VoiceClient.connect(`ws://${base}/ws/voice`);
    try {
      client.send({ type: 'start_session' });
      const ready = await client.waitFor((m) => m.type === 'session_ready');
      expect(ready.engines).toMatchObject({ stt: 'simulated', llm: 'flow', tts: 'simulated' });
      // The receptionist greets the caller through the simulated voice.
      await client.waitFor((m) => m.type === 'agent_audio_start');
      expect(client.messages('agent_text').map((m) => m.text).join('')).toMatch(/thanks for calling/i);
    } finally {
      client.close();
    }
  });

  it('tells the visitor of the page what is missing before any call', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://${base}/`);
      await page.waitForFunction(() => (document.querySelector('#missing')?.children.length ?? 0) > 0, undefined, { timeout: 15000 });
      const items = await page.$$eval('#missing li', (lis) => lis.map((li) => li.textContent ?? ''));
      expect(items).toHaveLength(2);
      expect(items[0]).toMatch(/^pocketsphinx is not available .* Install it with: .*apt-get install -y pocketsphinx pocketsphinx-en-us$/);
      expect(await page.textContent('#engines')).toBe('VAD silero · STT simulated · LLM flow · TTS simulated');
    } finally {
      await browser.close();
    }
  });
});
