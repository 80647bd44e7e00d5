// The configuration of the local engines: sections, defaults, and the startup check that a chosen
// local engine has a model file. (WHISPER_MODEL_PATH / LLM_MODEL_PATH map onto the same keys once
// they are in config.ts's alias table; the generic PARLEY__ form is used here.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-local-config-'));
  file = join(dir, 'model.bin');
  writeFileSync(file, 'x');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (env: Record<string, string>) => loadConfig({ env, file: join(dir, 'empty.yaml') });

describe('local engine configuration', () => {
  beforeAll(() => writeFileSync(join(dir, 'empty.yaml'), ''));

  it('has sections with defaults and takes the model paths', () => {
    const config = load({ PARLEY_STT: 'whisper', PARLEY_LLM: 'llama', PARLEY__PROVIDERS__WHISPER__MODEL_PATH: file, PARLEY__PROVIDERS__LLAMA__MODEL_PATH: file });
    expect(config.providers.stt).toEqual(['whisper']);
    expect(config.providers.llm).toEqual(['llama']);
    expect(config.providers.whisper).toEqual({ modelPath: file, language: 'en' });
    expect(config.providers.llama).toEqual({ modelPath: file, contextSize: 4096, temperature: 0.7, maxTokens: 256 });
  });

  it('choosing whisper or llama without a model file stops startup naming the variable', () => {
    expect(() => load({ PARLEY_STT: 'whisper' })).toThrow(ConfigError);
    expect(() => load({ PARLEY_STT: 'whisper,simulated' })).toThrow(/the whisper engine is chosen but has no model file: set WHISPER_MODEL_PATH/);
    expect(() => load({ PARLEY_LLM: 'llama,simulated' })).toThrow(/the llama engine is chosen but has no model file: set LLM_MODEL_PATH/);
  });

  it('a model path that does not exist stops startup too', () => {
    expect(() => load({ PARLEY_LLM: 'llama', PARLEY__PROVIDERS__LLAMA__MODEL_PATH: join(dir, 'gone.gguf') })).toThrow(/gone\.gguf \(LLM_MODEL_PATH\) does not exist/);
  });

  it('without the local engines chosen, no model file is needed', () => {
    expect(() => load({})).not.toThrow();
  });
});
