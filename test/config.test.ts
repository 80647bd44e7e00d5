import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { routeFor } from '../src/config-telephony.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-config-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The ConfigError thrown by `fn`, failing the test if it throws nothing or something else. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the defaults with no file and no environment', () => {
    const config = loadConfig({ env: {}, file: '/dev/null' });
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      maxFrameBytes: 1024 * 1024,
      heartbeatIntervalMs: 30_000,
      heartbeatTimeoutMs: 60_000,
      resumeWindowMs: 300_000,
      drainTimeoutMs: 30_000,
    });
    expect(config.logLevel).toBe('info');
    expect(config.audio).toEqual({ sampleRate: 16000, defaultOutputSampleRate: 16000 });
    expect(config.vad).toEqual({ engine: 'silero', threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 });
    expect(config.turn).toEqual({ debounceMs: null, speculativeHoldMs: 200, minInterruptionMs: 60, dtmfTimeoutMs: 2000, dtmfMaxDigits: 16 });
    // Offline by default: pocketsphinx and espeak-ng (with the simulated engines behind them), the receptionist flow.
    expect(config.providers).toMatchObject({ stt: ['pocketsphinx', 'simulated'], llm: ['flow'], tts: ['espeak', 'simulated'] });
    expect(config.agent.flow).toBe('flows/receptionist.yaml');
    expect(config.agent.tools).toEqual(['time', 'appointments', 'call']);
    expect(config.agents).toEqual([]);
    expect(config.simulated.script).toHaveLength(4);
    expect(config.agent.greeting).toMatch(/Parley/);
    // The platform: SQLite under ./data, the in-process bus, anonymous access from this machine only.
    expect(config.store).toMatchObject({ sqlitePath: 'data/parley.db', writeQueue: { memoryBound: 10_000, spillPath: 'data/store-spill.jsonl' } });
    expect(config.store.url).toBeUndefined();
    expect(config.bus.redisUrl).toBeUndefined();
    expect(config.auth).toMatchObject({ anonymous: 'loopback', defaultTenant: { id: 'default' } });
    expect(config.recording.enabled).toBe(false);
    expect(config.recording.consentAnnouncement).toBeNull();
    // Phone calls: the SIP endpoint on loopback:5060, every number to the default agent, no Twilio account.
    expect(config.telephony.sip).toMatchObject({ enabled: true, host: '127.0.0.1', port: 5060, transports: ['udp', 'tcp'], rtpPortMin: 20000, rtpPortMax: 29999 });
    expect(config.telephony.routes).toEqual([]);
    expect(config.telephony.twilio.accountSid).toBeUndefined();
  });

  it('reads the phone settings from the environment and checks them', () => {
    const config = loadConfig({
      env: { PARLEY_PUBLIC_URL: 'https://voice.example.com', TWILIO_ACCOUNT_SID: `AC${'a1'.repeat(16)}`, PARLEY__TELEPHONY__SIP__PORT: '5070' },
      file: '/dev/null',
    });
    expect(config.telephony.publicUrl).toBe('https://voice.example.com');
    expect(config.telephony.twilio.accountSid).toBe(`AC${'a1'.repeat(16)}`);
    expect(config.telephony.sip.port).toBe(5070);
    expect(() => loadConfig({ env: { TWILIO_ACCOUNT_SID: 'nope' }, file: '/dev/null' })).toThrow(/telephony\.twilio\.accountSid.*TWILIO_ACCOUNT_SID/s);
    expect(() => loadConfig({ env: { PARLEY__TELEPHONY__SIP__RTP_PORT_MIN: '30000' }, file: '/dev/null' })).toThrow(/rtpPortMax/);
  });

  it('routes a dialled number to the first matching rule', () => {
    const routes = [
      { match: '+15551230000', agent: 'front' },
      { match: '+1555999*', agent: 'sales' },
      { match: '*', agent: 'fallback' },
    ];
    expect(routeFor(routes, '+15551230000')?.agent).toBe('front');
    expect(routeFor(routes, '+15559991234')?.agent).toBe('sales');
    expect(routeFor(routes, 'support')?.agent).toBe('fallback');
    expect(routeFor(routes.slice(0, 2), 'support')).toBeUndefined();
  });

  it('reads DATABASE_URL and REDIS_URL into the store and bus sections', () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://u:secret@db:5432/parley', REDIS_URL: 'redis://cache:6379' }, file: '/dev/null' });
    expect(config.store.url).toBe('postgres://u:secret@db:5432/parley');
    expect(config.bus.redisUrl).toBe('redis://cache:6379');
    expect(() => loadConfig({ env: { PARLEY__AUTH__ANONYMOUS: 'always' }, file: '/dev/null' })).toThrow(/auth\.anonymous/);
  });

  it('reads a YAML file, keeping defaults for what it does not set', () => {
    const file = writeConfig(
      'parley.yaml',
      ['server:', '  port: 9123', 'vad:', '  engine: energy', '  threshold: 0.6', 'agent:', '  greeting: null', 'turn:', '  correctionMarkers: [wait, "hang on"]', ''].join('\n'),
    );
    const config = loadConfig({ env: {}, file });
    expect(config.server.port).toBe(9123);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.vad).toEqual({ engine: 'energy', threshold: 0.6, minSpeechMs: 64, minSilenceMs: 250 });
    expect(config.agent.greeting).toBeNull();
    expect(config.agent.name).toBe('assistant');
    expect(config.agent.flow).toBe('flows/receptionist.yaml');
    expect(config.turn.correctionMarkers).toEqual(['wait', 'hang on']);
  });

  it('reads a JSON file', () => {
    const file = writeConfig('parley.json', JSON.stringify({ logLevel: 'debug', audio: { sampleRate: 24000 }, simulated: { llmTtftMs: 400 } }));
    const config = loadConfig({ env: {}, file });
    expect(config.logLevel).toBe('debug');
    expect(config.audio).toEqual({ sampleRate: 24000, defaultOutputSampleRate: 16000 });
    expect(config.simulated.llmTtftMs).toBe(400);
    expect(config.simulated.ttsTtfbMs).toBe(120);
  });

  it('finds the file through PARLEY_CONFIG', () => {
    const file = writeConfig('via-env.yaml', 'server:\n  host: 0.0.0.0\n');
    expect(loadConfig({ env: { PARLEY_CONFIG: file } }).server.host).toBe('0.0.0.0');
  });

  it('lets the environment override the file, with typed values', () => {
    const file = writeConfig('base.yaml', 'server:\n  port: 9000\nvad:\n  threshold: 0.4\n');
    const config = loadConfig({
      file,
      env: {
        PORT: '7001',
        PARLEY__VAD__THRESHOLD: '0.7',
        PARLEY__TURN__DEBOUNCE_MS: '600',
        PARLEY__SIMULATED__SCRIPT: '["a","b"]',
        PARLEY__SIMULATED__LLM_TOKENS_PER_SECOND: '80',
        PARLEY__AGENT__GREETING: 'null',
        PARLEY_VAD: 'energy',
        UNRELATED: 'ignored',
      },
    });
    expect(config.server.port).toBe(7001);
    expect(config.vad.threshold).toBe(0.7);
    expect(config.vad.engine).toBe('energy');
    expect(config.turn.debounceMs).toBe(600);
    expect(config.simulated.script).toEqual(['a', 'b']);
    expect(config.simulated.llmTokensPerSecond).toBe(80);
    expect(config.agent.greeting).toBeNull();
  });

  it('names the key and the environment variable of a bad value', () => {
    const err = configErrorOf(() => loadConfig({ env: { PARLEY__VAD__THRESHOLD: '2' }, file: '/dev/null' }));
    expect(err.message).toContain('vad.threshold');
    expect(err.message).toContain('PARLEY__VAD__THRESHOLD');
    expect(err.message).not.toContain('server.port');
  });

  it('names the key and the file of a bad value from a file', () => {
    const file = writeConfig('bad-rate.yaml', 'audio:\n  sampleRate: 11025\n');
    const err = configErrorOf(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain('audio.sampleRate');
    expect(err.message).toContain(file);
    expect(err.message).toContain('16000');
  });

  it('reports every bad value at once', () => {
    const err = configErrorOf(() => loadConfig({ env: { PORT: '70000', LOG_LEVEL: 'chatty' }, file: '/dev/null' }));
    expect(err.message).toMatch(/server\.port: .*\(from environment variable PORT\)/);
    expect(err.message).toMatch(/logLevel: .*\(from environment variable LOG_LEVEL\)/);
  });

  it('rejects an unknown key in a file, naming it and the file', () => {
    const file = writeConfig('typo.yaml', 'vad:\n  treshold: 0.5\n');
    const err = configErrorOf(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain('treshold');
    expect(err.message).toContain('vad');
    expect(err.message).toContain(file);
  });

  it('rejects an unknown top-level key', () => {
    const err = configErrorOf(() => loadConfig({ env: {}, file: writeConfig('top.json', '{"sever": {"port": 1}}') }));
    expect(err.message).toContain('sever');
  });

  it('rejects an unknown key from the environment, naming it and the variable', () => {
    const err = configErrorOf(() => loadConfig({ env: { PARLEY__VAD__TRESHOLD: '0.5' }, file: '/dev/null' }));
    expect(err.message).toContain('treshold');
    expect(err.message).toContain('PARLEY__VAD__TRESHOLD');
  });

  it('names a file that cannot be read', () => {
    const missing = join(dir, 'missing.yaml');
    const err = configErrorOf(() => loadConfig({ env: {}, file: missing }));
    expect(err.message).toContain(`cannot read config file ${missing}`);
  });

  it('names a file that is not valid YAML', () => {
    const file = writeConfig('broken.yaml', 'server:\n  port: [1, 2\n  host: x\n');
    const err = configErrorOf(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain(`config file ${file} is not valid`);
  });

  it('names a file whose top level is not a mapping', () => {
    const file = writeConfig('list.yaml', '- a\n- b\n');
    const err = configErrorOf(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain(`config file ${file} is not valid: top level must be a mapping`);
  });

  it('names a JSON file that does not parse', () => {
    const file = writeConfig('broken.json', '{"server": ');
    expect(configErrorOf(() => loadConfig({ env: {}, file })).message).toContain(`config file ${file} is not valid`);
  });

  // Root reads any file, so this only means something for an ordinary user.
  it('names a config path that cannot be read as a file', () => {
    // (permissions do not stop root, so a directory stands in for an unreadable file)
    const dir = dirname(writeConfig('unused.yaml', ''));
    expect(configErrorOf(() => loadConfig({ env: {}, file: dir })).message).toContain(`cannot read config file ${dir}`);
  });
});

describe('provider configuration', () => {
  it('reads chains from a comma list in the environment and a list in a file', () => {
    const config = loadConfig({
      env: { PARLEY_TTS: 'elevenlabs, cartesia, simulated', ELEVENLABS_API_KEY: 'k1', CARTESIA_API_KEY: 'k2' },
      file: writeConfig('chains.yaml', 'providers:\n  stt: [simulated]\n'),
    });
    expect(config.providers.tts).toEqual(['elevenlabs', 'cartesia', 'simulated']);
    expect(config.providers.stt).toEqual(['simulated']);
  });

  it('refuses a vendor whose key is not in the environment, naming the variable', () => {
    const err = configErrorOf(() => loadConfig({ env: { PARLEY__PROVIDERS__STT: 'deepgram' }, file: '/dev/null' }));
    expect(err.message).toContain('DEEPGRAM_API_KEY');
  });

  it('refuses an unknown engine name and an unknown LLM endpoint', () => {
    expect(configErrorOf(() => loadConfig({ env: { PARLEY_TTS: 'festival' }, file: '/dev/null' })).message).toContain('providers.tts');
    expect(configErrorOf(() => loadConfig({ env: { PARLEY_LLM: 'groq' }, file: '/dev/null' })).message).toContain('LLM "groq"');
  });

  it('accepts named OpenAI-compatible endpoints, with their key variable required only when declared', () => {
    const file = writeConfig(
      'endpoints.yaml',
      'providers:\n  llm: [groq, ollama]\n  llmEndpoints:\n    groq: { baseUrl: "https://api.groq.com/openai/v1", model: "llama-3.1-8b-instant", apiKeyEnv: GROQ_API_KEY }\n    ollama: { baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.2" }\n',
    );
    expect(configErrorOf(() => loadConfig({ env: {}, file })).message).toContain('GROQ_API_KEY');
    expect(loadConfig({ env: { GROQ_API_KEY: 'g' }, file }).providers.llm).toEqual(['groq', 'ollama']);
  });

  it('checks per-agent chains and refuses duplicate agent names', () => {
    const file = writeConfig('agents.yaml', 'agents:\n  - name: sales\n    providers: { tts: [cartesia] }\n');
    expect(configErrorOf(() => loadConfig({ env: {}, file })).message).toContain('CARTESIA_API_KEY');
    const dup = writeConfig('dup.yaml', 'agents:\n  - name: assistant\n');
    expect(configErrorOf(() => loadConfig({ env: {}, file: dup })).message).toContain('"assistant" is used twice');
  });
});
