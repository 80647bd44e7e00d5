// Writes a recording to disk in the background, in order, through one file handle. The queue is
// bounded: audio that would overflow it is replaced by silence of the same length (and counted), so
// a slow disk costs recorded audio, never time on the voice path, and never shifts the timeline.
import { open, rm, type FileHandle } from 'node:fs/promises';
import { WAV_HEADER_BYTES, wavSizePatches } from './wav-stream-header.js';

export type RecordingFileWriterOptions = {
  path: string;
  /** Written first, at offset 0; the audio follows it. */
  header: Buffer;
  /** Bytes of audio that may wait for the disk; beyond them new audio becomes silence. */
  maxQueuedBytes: number;
  /** Called once, with the first error; the writer stops and its file is removed. */
  onError: (error: Error) => void;
};

export type WriterResult = {
  /** Bytes of audio (after the header) now in the file; 0 when the writer failed. */
  dataBytes: number;
  error: Error | null;
};

/** A chunk of audio, or a number of zero bytes (silence costs no memory while it waits). */
type Item = Buffer | number;

const ZEROS = Buffer.alloc(64 * 1024);

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export class RecordingFileWriter {
  private readonly opened: Promise<FileHandle | null>;
  private queue: Item[] = [];
  private queued = 0;
  private dropped = 0;
  private accepted = 0;
  private written = 0;
  private failure: Error | null = null;
  private finished = false;
  private pumping: Promise<void> | null = null;

  constructor(private readonly options: RecordingFileWriterOptions) {
    this.opened = this.openFile();
  }

  /** Bytes of audio waiting for the disk (silence owed is not counted: it holds no memory). */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Bytes of audio replaced by silence because the disk had fallen behind. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** Bytes of audio accepted so far, written or still queued. */
  get acceptedBytes(): number {
    return this.accepted;
  }

  get error(): Error | null {
    return this.failure;
  }

  /** Queues audio bytes; returns at once. */
  append(bytes: Buffer): void {
    if (this.failure || this.finished || bytes.length === 0) return;
    this.accepted += bytes.length;
    if (this.queued + bytes.length > this.options.maxQueuedBytes) {
      this.dropped += bytes.length;
      this.pushSilence(bytes.length);
    } else {
      this.queue.push(bytes);
      this.queued += bytes.length;
    }
    this.kick();
  }

  /** Queues `count` zero bytes; returns at once. */
  appendSilence(count: number): void {
    if (this.failure || this.finished || count <= 0) return;
    this.accepted += count;
    this.pushSilence(count);
    this.kick();
  }

  /** Stops the writer as if writing had failed with `error` (the file is removed on finish). */
  abort(error: Error): void {
    this.fail(error);
  }

  /** Resolves once everything queued so far is on disk (or the writer failed). */
  async drain(): Promise<void> {
    await this.opened;
    while (this.pumping) await this.pumping;
  }

  /** Writes what is queued, patches the header sizes and closes the file. Later appends are ignored. */
  async finish(): Promise<WriterResult> {
    this.finished = true;
    await this.drain();
    const fh = await this.opened;
    if (fh && !this.failure) {
      try {
        for (const patch of wavSizePatches(this.written)) await this.writeFully(fh, patch.bytes, patch.bytes.length, patch.at);
      } catch (err) {
        this.fail(err);
      }
    }
    try {
      await fh?.close();
    } catch (err) {
      this.fail(err);
    }
    if (this.failure) {
      // A recording that stopped half way is never linked to its call, so nothing would ever sweep it.
      await rm(this.options.path, { force: true }).catch(() => {});
      return { dataBytes: 0, error: this.failure };
    }
    return { dataBytes: this.written, error: null };
  }

  private async openFile(): Promise<FileHandle | null> {
    let fh: FileHandle | null = null;
    try {
      fh = await open(this.options.path, 'w');
      await this.writeFully(fh, this.options.header, this.options.header.length, 0);
      return fh;
    } catch (err) {
      await fh?.close().catch(() => {});
      this.fail(err);
      return null;
    }
  }

  private pushSilence(count: number): void {
    const last = this.queue.length - 1;
    if (last >= 0 && typeof this.queue[last] === 'number') this.queue[last] = (this.queue[last] as number) + count;
    else this.queue.push(count);
  }

  private kick(): void {
    if (this.pumping || this.failure) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async pump(): Promise<void> {
    const fh = await this.opened;
    while (fh && !this.failure && this.queue.length > 0) {
      const item = this.queue[0];
      try {
        if (typeof item === 'number') {
          const n = Math.min(item, ZEROS.length);
          await this.writeFully(fh, ZEROS, n, WAV_HEADER_BYTES + this.written);
          this.written += n;
          // Re-read the head: silence appended meanwhile may have been merged into it.
          const left = (this.queue[0] as number) - n;
          if (left > 0) this.queue[0] = left;
          else this.queue.shift();
        } else {
          await this.writeFully(fh, item, item.length, WAV_HEADER_BYTES + this.written);
          this.written += item.length;
          this.queue.shift();
          this.queued -= item.length;
        }
      } catch (err) {
        this.fail(err);
      }
    }
  }

  private async writeFully(fh: FileHandle, bytes: Buffer, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await fh.write(bytes, done, length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`could not write to ${this.options.path}`);
      done += bytesWritten;
    }
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = asError(err);
    this.queue = [];
    this.queued = 0;
    try {
      this.options.onError(this.failure);
    } catch {
      // The writer has stopped either way.
    }
  }
}
