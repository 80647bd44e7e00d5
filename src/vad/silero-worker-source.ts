// onnxruntime-node runs a session synchronously on the calling thread (its async `run` only
// defers to setImmediate), and a batch for a few hundred calls takes ~10 ms: too long for the
// event loop. So the model lives in a worker thread. The worker is given as source text run
// with `eval`, because a separate worker file would have to be found as .ts under vitest/tsx
// and as .js after the build; plain CommonJS source works the same everywhere.

/** Silero v5 at 16 kHz: 512 new samples per window, preceded by the previous window's last 64. */
export const SILERO_WINDOW_SAMPLES = 512;
export const SILERO_CONTEXT_SAMPLES = 64;
export const SILERO_INPUT_SAMPLES = SILERO_WINDOW_SAMPLES + SILERO_CONTEXT_SAMPLES;
/** Recurrent state per stream: [2, 1, 128]. */
export const SILERO_STATE_FLOATS = 2 * 128;

export interface SileroWorkerData {
  ortPath: string;
  modelPath: string;
  sampleRate: number;
}

export type SileroWorkerRequest = {
  type: 'run';
  id: number;
  batch: number;
  /** batch × SILERO_INPUT_SAMPLES floats used; may be longer. */
  input: Float32Array;
  /** [2, batch, 128] floats used; may be longer. Overwritten with the new state. */
  state: Float32Array;
};

export type SileroWorkerReply =
  | { type: 'ready' }
  | { type: 'load_failed'; message: string }
  | { type: 'result'; id: number; input: Float32Array; state: Float32Array; probabilities: Float32Array }
  | { type: 'run_failed'; id: number; input: Float32Array; state: Float32Array; message: string };

export const sileroWorkerSource = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const INPUT = ${SILERO_INPUT_SAMPLES};
const STATE = ${SILERO_STATE_FLOATS};
const messageOf = (err) => (err && err.message) ? err.message : String(err);

let ort;
let session;
let srTensor = null;

async function load() {
  ort = require(workerData.ortPath);
  session = await ort.InferenceSession.create(workerData.modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  for (const name of ['input', 'state']) {
    if (!session.inputNames.includes(name)) throw new Error('model has no input "' + name + '" (inputs: ' + session.inputNames.join(', ') + '); expected Silero VAD v5');
  }
  for (const name of ['output', 'stateN']) {
    if (!session.outputNames.includes(name)) throw new Error('model has no output "' + name + '" (outputs: ' + session.outputNames.join(', ') + '); expected Silero VAD v5');
  }
  if (session.inputNames.includes('sr')) {
    srTensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(workerData.sampleRate)]), []);
  }
}

async function run(msg) {
  const { id, batch, input, state } = msg;
  try {
    const feeds = {
      input: new ort.Tensor('float32', input.subarray(0, batch * INPUT), [batch, INPUT]),
      state: new ort.Tensor('float32', state.subarray(0, batch * STATE), [2, batch, STATE / 2]),
    };
    if (srTensor) feeds.sr = srTensor;
    const out = await session.run(feeds);
    state.set(out.stateN.data);
    const probabilities = Float32Array.from(out.output.data);
    parentPort.postMessage({ type: 'result', id, input, state, probabilities }, [input.buffer, state.buffer, probabilities.buffer]);
  } catch (err) {
    parentPort.postMessage({ type: 'run_failed', id, input, state, message: messageOf(err) }, [input.buffer, state.buffer]);
  }
}

load().then(
  () => {
    parentPort.on('message', run);
    parentPort.postMessage({ type: 'ready' });
  },
  (err) => parentPort.postMessage({ type: 'load_failed', message: messageOf(err) }),
);
`;
