// The page at / in a real (headless) Chromium with a fake microphone that plays real speech: the
// call starts, the caller's turn is transcribed and answered, and the page shows the turn.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm } from '../../src/audio/pcm.js';
import { writeWav } from '../../src/audio/wav.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { silence, speak } from '../helpers/speech.js';

const UTTERANCE = 'Hello, I would like to book a table for dinner.';

let parley: Parley;
let browser: Browser;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-page-'));
  const wav = join(dir, 'mic.wav');
  // Chromium loops the file: one utterance, then a long pause for the agent to answer.
  writeFileSync(wav, writeWav({ sampleRate: 16000, channels: 1, samples: concatPcm([silence(1500), speak(UTTERANCE), silence(12000)]) }));
  const config = simulatedConfig();
  config.server.port = 0;
  config.agent.greeting = 'Hi.';
  config.simulated.script = [UTTERANCE, UTTERANCE, UTTERANCE];
  config.vad.engine = 'silero';
  parley = await createParley(config, { log: createLogger('silent') });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://localhost:${(parley.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await parley?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the voice page', () => {
  it('talks to the agent with the microphone and shows the turn with its latency', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    expect(await page.title()).toBe('Parley');
    await page.click('#call');
    await page.waitForFunction(() => document.querySelector('#engines')?.textContent?.includes('VAD'), undefined, { timeout: 15000 });
    // a row for the caller's spoken turn, answered by the agent
    const row = page.locator('#turns tr', { hasText: 'book a table' }).first();
    await row.waitFor({ timeout: 45000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells.join(' ')).toContain(UTTERANCE);
    expect(['completed', 'interrupted']).toContain(cells[1].trim());
    // voice-to-voice latency measured and shown
    expect(cells[4]).toMatch(/\d/);
    // the server streamed agent audio to this page
    const session = parley.registry.sessions()[0];
    const spoken = session.turns.find((t) => t.userText === UTTERANCE);
    expect(spoken?.marks.firstAudioSentAt).not.toBeNull();
    expect(errors).toEqual([]);
    await page.click('#call');
    await page.close();
  }, 90000);
});
