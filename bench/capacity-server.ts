// The Parley server for the capacity step, run as a child process so the load generator's work is
// not on its event loop. Prints one JSON line {"ready":true,"port":...} on stdout once listening.
// Adds two bench-only routes: GET /bench/stats (event-loop delay, memory, CPU, Silero batching;
// `?gc=1` collects garbage first when run with --expose-gc) and POST /bench/reset.
// Flags: --energy (energy VAD instead of Silero), --render-tts (see replay-tts.ts).
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../src/clock.js';
import { createLogger } from '../src/log.js';
import { createParley } from '../src/main.js';
import { SimulatedStt, SimulatedTts } from '../src/providers/simulated/index.js';
import { createVad } from '../src/vad/create-vad.js';
import { benchConfig, LATENCIES, scriptLine } from './lib/bench-config.js';
import { ReplayTts } from './lib/replay-tts.js';

const engine = process.argv.includes('--energy') ? 'energy' : 'silero';
// --render-tts: let the simulated TTS render every reply's waveform on this event loop.
const renderTts = process.argv.includes('--render-tts');
const config = benchConfig(engine);
const log = createLogger('warn');
let vadFallback: string | null = null;
const vad = await createVad({ prefer: engine, logger: { warn: (obj, msg) => (vadFallback = `${msg} ${JSON.stringify(obj)}`) } });
const stt = new SimulatedStt({ clock: systemClock, script: scriptLine, finalDelayMs: LATENCIES.sttFinalDelayMs });
const timing = { ttfbMs: LATENCIES.ttsTtfbMs, realtimeFactor: LATENCIES.ttsRealtimeFactor };
const tts = renderTts ? new SimulatedTts({ clock: systemClock, ...timing }) : new ReplayTts(systemClock, timing);
const parley = await createParley(config, { log, vad, stt, tts });

// The histogram records whole sampling intervals, so the resolution is subtracted to get the delay.
const RESOLUTION_MS = 5;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();
const gc = (globalThis as { gc?: () => void }).gc;
const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);

parley.app.get<{ Querystring: { gc?: string } }>('/bench/stats', async (request) => {
  if (request.query.gc === '1' && gc) gc();
  const stats = 'stats' in parley.vad ? (parley.vad as { stats: unknown }).stats : null;
  return {
    loop_delay_ms: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), mean: ms(loop.mean) },
    memory: process.memoryUsage(),
    cpu_us: process.cpuUsage(),
    active_sessions: parley.registry.size,
    vad: parley.vad.kind,
    vad_stats: stats,
    tts: tts instanceof ReplayTts ? { mode: 'replay', requests: tts.requests, renders: tts.renders } : { mode: 'render' },
  };
});
parley.app.post('/bench/reset', async () => {
  loop.reset();
  return { status: 'ok' };
});

await parley.app.listen({ host: '127.0.0.1', port: 0 });
const { port } = parley.app.server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ ready: true, port, pid: process.pid, vad: parley.vad.kind, vad_fallback: vadFallback })}\n`);

const stop = () => {
  void parley.close('bench finished').finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
