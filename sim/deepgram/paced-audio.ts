// Streams synthesized audio the way a TTS service does: the first bytes after a time to first byte,
// then as fast as synthesis runs (a multiple of real time), in pieces of arbitrary size that need
// not hold whole samples.

/** Audio per piece, cycled; one extra byte makes most linear16 pieces split a sample. */
const PIECE_MS = [30, 55, 20, 45, 70, 35];

export type PacedAudio = {
  bytes: Uint8Array;
  bytesPerSecond: number;
  ttfbMs: number;
  realtimeFactor: number;
  /** performance.now() of the request (or Flush) the audio answers. */
  requestedAt: number;
  signal: AbortSignal;
  send(piece: Buffer, index: number): void;
};

/** Resolves true when every piece was sent, false when `signal` stopped it first. */
export async function sendPaced(o: PacedAudio): Promise<boolean> {
  let offset = 0;
  for (let index = 0; offset < o.bytes.length; index++) {
    const dueAt = o.requestedAt + o.ttfbMs + ((offset / o.bytesPerSecond) * 1000) / o.realtimeFactor;
    if (!(await sleepUntil(dueAt, o.signal))) return false;
    const size = Math.max(1, Math.round((o.bytesPerSecond * PIECE_MS[index % PIECE_MS.length]) / 1000) + 1);
    const piece = Buffer.from(o.bytes.subarray(offset, offset + size));
    offset += piece.length;
    o.send(piece, index);
  }
  return !o.signal.aborted;
}

function sleepUntil(at: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  const wait = at - performance.now();
  if (wait <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, wait);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
