// Real synthetic speech for tests: flite utterances placed on a timeline with silence between them.

export type Placement = { startMs: number; endMs: number };

export type SpeechTimeline = { samples: Int16Array; sampleRate: number; placements: Placement[] };

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
