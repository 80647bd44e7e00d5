// VAD cost: the Silero model alone at several batch sizes, the batched worker engine with many
// streams, and the energy fallback. Prints figures; asserts nothing.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { EnergyVad } from '../src/vad/energy-vad.js';
import { SileroBatcher } from '../src/vad/silero-batcher.js';
import { SileroWorkerModel, defaultSileroModelPath } from '../src/vad/silero-model.js';
import { SILERO_INPUT_SAMPLES, SILERO_STATE_FLOATS } from '../src/vad/silero-worker-source.js';
import { defaultVadSettings } from '../src/vad/vad.js';

const FRAME = 320;

/** Speech-like test signal: a gliding tone with syllable-rate amplitude changes and a little noise. */
function signal(samples: number, seed: number): Int16Array {
  const out = new Int16Array(samples);
  let x = seed * 2654435761;
  for (let i = 0; i < samples; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const t = i / 16000;
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t + seed);
    out[i] = Math.round(6000 * envelope * Math.sin(2 * Math.PI * (150 + 50 * Math.sin(t)) * t) + ((x >>> 16) - 32768) / 200);
  }
  return out;
}

async function modelAlone(batch: number): Promise<number> {
  const session = await ort.InferenceSession.create(defaultSileroModelPath(), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  });
  const input = new Float32Array(batch * SILERO_INPUT_SAMPLES);
  const audio = signal(input.length, 1);
  for (let i = 0; i < input.length; i++) input[i] = audio[i] / 32768;
  const feeds = {
    input: new ort.Tensor('float32', input, [batch, SILERO_INPUT_SAMPLES]),
    state: new ort.Tensor('float32', new Float32Array(batch * SILERO_STATE_FLOATS), [2, batch, 128]),
    sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
  };
  for (let i = 0; i < 20; i++) await session.run(feeds);
  const runs = Math.max(20, Math.round(4000 / batch));
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  const usPerWindow = ((performance.now() - t0) * 1000) / (runs * batch);
  await session.release();
  return usPerWindow;
}

/** Streams × seconds of audio pushed frame by frame through the worker engine. */
async function engine(streams: number, seconds: number): Promise<{ usPerWindow: number; mainThreadUtilisation: number; meanBatch: number }> {
  const batcher = new SileroBatcher(await SileroWorkerModel.load());
  const audio = Array.from({ length: streams }, (_, s) => signal(16000 * seconds, s + 1));
  const handles = audio.map(() => batcher.openStream(() => {}));
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let at = 0; at < 16000 * seconds; at += FRAME) {
    for (let s = 0; s < streams; s++) handles[s].push(audio[s].subarray(at, at + FRAME));
  }
  await batcher.whenIdle();
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const { windows, batches } = batcher.stats;
  await batcher.close();
  return { usPerWindow: (elapsed * 1000) / windows, mainThreadUtilisation: elu.utilization, meanBatch: windows / batches };
}

/**
 * Calls in real time: each stream gets a frame every 20 ms, the streams staggered across the
 * 20 ms. Latency runs from the push of a window's last frame to its probability's delivery.
 */
async function realTime(streams: number, seconds: number): Promise<{ meanBatch: number; p50Ms: number; p99Ms: number }> {
  const batcher = new SileroBatcher(await SileroWorkerModel.load());
  const frames = (16000 * seconds) / FRAME;
  const audio = Array.from({ length: streams }, (_, s) => signal(16000 * seconds, s + 1));
  const pushedAt = Array.from({ length: streams }, () => new Float64Array(frames));
  const latencies: number[] = [];
  const handles = audio.map((_, s) =>
    batcher.openStream((_p, _start, endMs) => {
      const lastFrame = Math.ceil((endMs * 16) / FRAME) - 1;
      latencies.push(performance.now() - pushedAt[s][lastFrame]);
    }),
  );
  const next = new Int32Array(streams);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now() - t0;
      let done = true;
      for (let s = 0; s < streams; s++) {
        const offset = (s / streams) * 20;
        while (next[s] < frames && next[s] * 20 + offset <= now) {
          const f = next[s]++;
          pushedAt[s][f] = performance.now();
          handles[s].push(audio[s].subarray(f * FRAME, (f + 1) * FRAME));
        }
        if (next[s] < frames) done = false;
      }
      if (done) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await batcher.whenIdle();
  const { windows, batches } = batcher.stats;
  await batcher.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { meanBatch: windows / batches, p50Ms: at(0.5), p99Ms: at(0.99) };
}

function energyPerFrame(): number {
  const vad = new EnergyVad();
  const stream = vad.open(defaultVadSettings, () => {});
  const audio = signal(16000 * 60, 3);
  const t0 = performance.now();
  for (let at = 0; at < audio.length; at += FRAME) stream.push(audio.subarray(at, at + FRAME));
  return ((performance.now() - t0) * 1000) / (audio.length / FRAME);
}

export async function benchVad(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const batch of [1, 8, 32, 128]) out[`silero_model_batch${batch}_us_per_window`] = await modelAlone(batch);
  for (const streams of [1, 8, 32, 128, 300]) {
    const r = await engine(streams, streams === 1 ? 10 : 3);
    out[`silero_engine_${streams}streams_us_per_window`] = r.usPerWindow;
    out[`silero_engine_${streams}streams_mean_batch`] = r.meanBatch;
    out[`silero_engine_${streams}streams_main_thread_utilisation`] = r.mainThreadUtilisation;
  }
  // 300 calls need 300 × 31.25 windows per second: the share of one core that takes.
  out.silero_300_calls_core_share = (out.silero_engine_300streams_us_per_window * 300 * 31.25) / 1e6;
  const live = await realTime(300, 4);
  out.silero_realtime_300calls_mean_batch = live.meanBatch;
  out.silero_realtime_300calls_latency_p50_ms = live.p50Ms;
  out.silero_realtime_300calls_latency_p99_ms = live.p99Ms;
  out.energy_us_per_frame = energyPerFrame();
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchVad();
  for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(52)} ${value.toFixed(3)}`);
}
