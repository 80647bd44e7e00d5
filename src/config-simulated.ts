// The configuration tests and benchmarks start from: the built-in defaults with the simulated
// engines (exact, configurable latencies) instead of the offline speech stack, no flow, and an
// in-memory appointments book.
import { loadConfig, type Config } from './config.js';

export function simulatedConfig(): Config {
  const config = loadConfig({ env: { PARLEY_STT: 'simulated', PARLEY_LLM: 'simulated', PARLEY_TTS: 'simulated' }, file: '/dev/null' });
  config.agent = { ...config.agent, flow: null, tools: ['time'] };
  config.appointments.database = ':memory:';
  return config;
}
