// Real synthetic speech for tests: flite utterances placed on a timeline with silence between them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Placement = { startMs: number; endMs: number };

export type SpeechTimeline = { samples: Int16Array; sampleRate: number; placements: Placement[] };

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'parley-'));
}

/** Speaks `text` with flite and returns PCM16 mono at `sampleRate`. */
export function speak(dir: string, text: string, sampleRate: number): Int16Array {
  const base = path.join(dir, `utt-${fs.readdirSync(dir).length}`);
  execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', `${base}.wav`]);
  execFileSync('sox', [`${base}.wav`, '-r', String(sampleRate), '-c', '1', '-b', '16', `${base}-${sampleRate}.wav`]);
  return readWavPcm16(fs.readFileSync(`${base}-${sampleRate}.wav`));
}

function readWavPcm16(file: Buffer): Int16Array {
  let offset = 12;
  while (offset + 8 <= file.length) {
    const id = file.toString('ascii', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    if (id === 'data') {
      const bytes = file.subarray(offset + 8, offset + 8 + size);
      const out = new Int16Array(bytes.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
      return out;
    }
    offset += 8 + size + (size & 1);
  }
  throw new Error('no data chunk in WAV');
}

/** `leadMs` of silence, then each utterance followed by `gapMs` of silence. */
export function timeline(utterances: Int16Array[], sampleRate: number, leadMs: number, gapMs: number): SpeechTimeline {
  const perMs = sampleRate / 1000;
  const lead = Math.round(leadMs * perMs);
  const gap = Math.round(gapMs * perMs);
  const total = lead + utterances.reduce((n, u) => n + u.length + gap, 0);
  const samples = new Int16Array(total);
  const placements: Placement[] = [];
  let at = lead;
  for (const u of utterances) {
    samples.set(u, at);
    placements.push({ startMs: at / perMs, endMs: (at + u.length) / perMs });
    at += u.length + gap;
  }
  return { samples, sampleRate, placements };
}

/** First and last sample whose magnitude exceeds `level`, in ms within `samples`. */
export function audibleExtent(samples: Int16Array, sampleRate: number, level: number): Placement {
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) > level) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return { startMs: (first * 1000) / sampleRate, endMs: ((last + 1) * 1000) / sampleRate };
}
