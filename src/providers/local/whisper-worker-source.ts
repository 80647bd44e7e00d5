// @napi-rs/whisper's `Whisper` constructor (reads and loads the whole model) and `full()` (the
// transcription) are synchronous native calls: `full` returns the text, not a promise, so it holds
// the thread that calls it for the whole transcription (seconds per utterance on a CPU). They run
// in a worker thread, one model per worker, one transcription at a time (a whisper context is not
// safe for concurrent use). The source is CommonJS text run with `eval`, as for the Silero worker:
// a worker file would have to be found as .ts under tsx/vitest and as .js after the build.

export interface WhisperWorkerData {
  /** Absolute path of @napi-rs/whisper's CommonJS entry, in the runtimes folder. */
  bindingPath: string;
  modelPath: string;
  threads: number;
}

export type WhisperWorkerRequest = {
  type: 'transcribe';
  id: number;
  /** 16 kHz mono float32 in [-1, 1]. */
  samples: Float32Array;
  /** ISO-639-1 code, or 'auto' for whisper's language detection. */
  language: string;
};

export type WhisperWorkerReply =
  | { type: 'ready'; multilingual: boolean }
  | { type: 'load_failed'; message: string }
  | { type: 'result'; id: number; text: string }
  | { type: 'failed'; id: number; message: string };

export const whisperWorkerSource = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const messageOf = (err) => (err && err.message) ? err.message : String(err);

let binding;
let whisper;
try {
  binding = require(workerData.bindingPath);
  whisper = new binding.Whisper(workerData.modelPath, { useGpu: false });
} catch (err) {
  parentPort.postMessage({ type: 'load_failed', message: messageOf(err) });
  whisper = null;
}

if (whisper) {
  parentPort.on('message', (msg) => {
    if (msg.type !== 'transcribe') return;
    try {
      const params = new binding.WhisperFullParams(binding.WhisperSamplingStrategy.Greedy);
      params.nThreads = workerData.threads;
      params.language = msg.language;
      params.translate = false;
      params.printProgress = false;
      params.printRealtime = false;
      params.printTimestamps = false;
      params.printSpecial = false;
      // Each utterance stands alone: context from an earlier caller turn must not leak in.
      params.noContext = true;
      const text = whisper.full(params, msg.samples);
      parentPort.postMessage({ type: 'result', id: msg.id, text: String(text) });
    } catch (err) {
      parentPort.postMessage({ type: 'failed', id: msg.id, message: messageOf(err) });
    }
  });
  parentPort.postMessage({ type: 'ready', multilingual: Boolean(whisper.isMultilingual) });
}
`;
