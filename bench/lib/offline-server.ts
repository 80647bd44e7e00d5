// The Parley server for the offline step, run as a child process (`node --import tsx` this file):
// the configuration a fresh install runs, from loadConfig's own defaults (pocketsphinx STT, the
// receptionist flow, espeak-ng TTS, Silero VAD), with only what a bench needs changed: loopback on
// a free port, warn-level logs and an in-memory appointments book (so every run starts empty).
// Prints one JSON line {"ready":true,"port":...,"engines":...} on stdout once listening.
// Adds GET /bench/stats: event-loop delay and live sessions.
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../src/config.js';
import { withThrowawayStore } from '../../src/config-simulated.js';
import { createParley } from '../../src/main.js';

// file: /dev/null keeps a parley.config.* in the working directory out of the measurement.
const config = withThrowawayStore(loadConfig({ env: { PARLEY__APPOINTMENTS__DATABASE: ':memory:' }, file: '/dev/null' }));
config.server = { ...config.server, host: '127.0.0.1', port: 0 };
config.logLevel = 'warn';
// A Silero that cannot load falls back to the energy VAD with a warning in the server log.
const parley = await createParley(config);

const RESOLUTION_MS = 5;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();
const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);
parley.app.get('/bench/stats', async () => {
  const stats = { loop_delay_ms: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) }, active_sessions: parley.registry.size };
  loop.reset();
  return stats;
});

await parley.app.listen({ host: '127.0.0.1', port: 0 });
const { port } = parley.app.server.address() as AddressInfo;
const engines = { vad: parley.vad.kind, stt: config.providers.stt.join(' > '), llm: config.providers.llm.join(' > '), tts: config.providers.tts.join(' > ') };
process.stdout.write(`${JSON.stringify({ ready: true, port, pid: process.pid, vad: parley.vad.kind, engines })}\n`);

const stop = () => {
  void parley.close('bench finished').finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
