import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVad } from '../../src/vad/create-vad.js';

const dir = mkdtempSync(tmpdir() + '/parley-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recordingLogger() {
  const warnings: { obj: object; msg: string }[] = [];
  return { warnings, logger: { warn: (obj: object, msg: string) => warnings.push({ obj, msg }) } };
}

describe('createVad', () => {
  it('gives Silero when it loads, without warnings', async () => {
    const { warnings, logger } = recordingLogger();
    const vad = await createVad({ prefer: 'silero', logger });
    expect(vad.kind).toBe('silero');
    expect(warnings).toEqual([]);
    await vad.close();
  });

  it('gives the energy VAD when asked, without trying Silero', async () => {
    const { warnings, logger } = recordingLogger();
    const vad = await createVad({ prefer: 'energy', logger, modelPath: join(dir, 'never-read.onnx') });
    expect(vad.kind).toBe('energy');
    expect(warnings).toEqual([]);
  });

  it('falls back to the energy VAD with exactly one warning naming the reason when the model is missing', async () => {
    const { warnings, logger } = recordingLogger();
    const missing = join(dir, 'missing.onnx');
    const vad = await createVad({ prefer: 'silero', logger, modelPath: missing });
    expect(vad.kind).toBe('energy');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toContain('using the energy VAD');
    expect(warnings[0].msg).toContain(`Silero model file not found: ${missing}`);
    expect(warnings[0].obj).toEqual({ reason: `Silero model file not found: ${missing}` });
  });

  it('falls back the same way when the model file cannot be loaded', async () => {
    const { warnings, logger } = recordingLogger();
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'definitely not onnx');
    const vad = await createVad({ prefer: 'silero', logger, modelPath: junk });
    expect(vad.kind).toBe('energy');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toMatch(/Silero model failed to load from .*junk\.onnx/);
  });
});
