// ElevenLabs' input buffering: text accumulates until the next `chunk_length_schedule` threshold is
// reached (120, then 160, 250, 290 … characters by default; the last value repeats), then what is
// buffered up to the last whitespace is generated. `flush` and end of input generate the rest at once;
// `auto_mode` skips buffering and generates every text message as it comes.

export const DEFAULT_CHUNK_LENGTH_SCHEDULE: readonly number[] = [120, 160, 250, 290];

export class TextSchedule {
  private buffer = '';
  private step = 0;

  constructor(
    private readonly schedule: readonly number[] = DEFAULT_CHUNK_LENGTH_SCHEDULE,
    private readonly autoMode = false,
  ) {}

  /** Adds text; returns the texts now due for generation (in order). */
  push(text: string): string[] {
    this.buffer += text;
    if (this.autoMode) return this.flush();
    const due: string[] = [];
    for (;;) {
      const threshold = this.schedule[Math.min(this.step, this.schedule.length - 1)];
      if (this.buffer.length < threshold) break;
      // Generate whole words only: cut after the last whitespace buffered so far.
      const cut = lastWhitespace(this.buffer);
      if (cut <= 0) break;
      const text = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut);
      this.step++;
      if (text.trim()) due.push(text);
    }
    return due;
  }

  /** Everything buffered, for `flush:true` or end of input. */
  flush(): string[] {
    const text = this.buffer;
    this.buffer = '';
    return text.trim() ? [text] : [];
  }

  /** Drops buffered text (a context closed before it was flushed). */
  discard(): void {
    this.buffer = '';
  }

  get buffered(): string {
    return this.buffer;
  }
}

/** Index just past the last whitespace character, or 0 when there is none. */
function lastWhitespace(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (/\s/.test(text[i])) return i + 1;
  return 0;
}

/** Validates a client's schedule: each item an integer from 50 to 500 (vendor limits). */
export function parseSchedule(value: unknown): readonly number[] | string {
  if (value === undefined || value === null) return DEFAULT_CHUNK_LENGTH_SCHEDULE;
  if (!Array.isArray(value) || value.length === 0) return 'chunk_length_schedule must be a non-empty list of numbers';
  for (const item of value) {
    if (typeof item !== 'number' || !Number.isFinite(item) || item < 50 || item > 500) {
      return 'chunk_length_schedule items must be numbers between 50 and 500';
    }
  }
  return value as number[];
}
