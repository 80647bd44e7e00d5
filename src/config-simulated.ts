// The configuration tests and benchmarks start from: the built-in defaults with the simulated
// engines (exact, configurable latencies) instead of the offline speech stack, no flow, and an
// in-memory appointments book and store.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from './config.js';

export function simulatedConfig(): Config {
  const config = loadConfig({ env: { PARLEY_STT: 'simulated', PARLEY_LLM: 'simulated', PARLEY_TTS: 'simulated' }, file: '/dev/null' });
  config.agent = { ...config.agent, flow: null, tools: ['time'] };
  config.appointments.database = ':memory:';
  return withThrowawayStore(config);
}

/**
 * An in-memory store with a spill file of its own, and the SIP endpoint on a free port, so parallel
 * test files and benchmarks never share state or ports.
 */
export function withThrowawayStore(config: Config): Config {
  config.store.sqlitePath = ':memory:';
  config.telephony.sip.port = 0;
  config.store.writeQueue.spillPath = join(tmpdir(), `parley-spill-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`);
  return config;
}
