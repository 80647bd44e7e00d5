// A microphone that stays open, as a browser's does: it sends 20 ms frames in real time, silence
// when nobody speaks, and the clips handed to say() in order. say() resolves when the last frame
// of the clip has left.
import WebSocket from 'ws';
import { pcm16ToBytes } from '../../src/audio/pcm.js';

type Clip = { samples: Int16Array; offset: number; done: () => void };

export class LiveMic {
  private readonly frame: number;
  private readonly silenceFrame: Buffer;
  private readonly queue: Clip[] = [];
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private sent = 0;

  constructor(
    private readonly ws: WebSocket,
    rate = 16000,
  ) {
    this.frame = (rate * 20) / 1000;
    this.silenceFrame = pcm16ToBytes(new Int16Array(this.frame));
  }

  start(): void {
    this.startedAt = performance.now();
    this.sent = 0;
    this.tick();
  }

  /** Queues the clip after whatever is still being said; resolves when its last frame was sent. */
  say(samples: Int16Array): Promise<void> {
    return new Promise((done) => this.queue.push({ samples, offset: 0, done }));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const clip of this.queue.splice(0)) clip.done();
  }

  private tick(): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.stop();
      return;
    }
    // Catch up on frames that are due (timers run late under load), one frame per 20 ms of wall time.
    const due = Math.floor((performance.now() - this.startedAt) / 20) + 1;
    while (this.sent < due) {
      this.ws.send(this.nextFrame());
      this.sent++;
    }
    this.timer = setTimeout(() => this.tick(), this.startedAt + this.sent * 20 - performance.now());
  }

  private nextFrame(): Buffer {
    const clip = this.queue[0];
    if (!clip) return this.silenceFrame;
    const end = Math.min(clip.samples.length, clip.offset + this.frame);
    const out = new Int16Array(this.frame);
    out.set(clip.samples.subarray(clip.offset, end));
    clip.offset = end;
    if (clip.offset >= clip.samples.length) {
      this.queue.shift();
      clip.done();
    }
    return pcm16ToBytes(out);
  }
}
