// The simulated TTS voice: speech-like audio for a text with exact word and character timings,
// rendered at any rate. Vendors' simulators stream it out in their own framing.
import { layoutSpeech, SpeechLikeRenderer } from '../src/providers/simulated/speech-like-audio.js';

export type SimCharTiming = { char: string; startMs: number; durationMs: number };
export type SimWordTiming = { word: string; startMs: number; endMs: number };
export type SimSpeech = { samples: Int16Array; words: SimWordTiming[]; chars: SimCharTiming[]; durationMs: number };

export const MS_PER_CHAR = 60;

export function synthesizeSpeech(text: string, sampleRate: number, voice?: string): SimSpeech {
  const layout = layoutSpeech(text, sampleRate, MS_PER_CHAR);
  const samples = new Int16Array(layout.totalSamples);
  new SpeechLikeRenderer(layout, voice).render(samples);
  const normalised = text.trim().replace(/\s+/g, ' ');
  const chars = [...normalised].map((char, i) => ({ char, startMs: i * MS_PER_CHAR, durationMs: MS_PER_CHAR }));
  const words = layout.words.map((w) => ({
    word: w.word,
    startMs: Math.round((w.startSample * 1000) / sampleRate),
    endMs: Math.round((w.endSample * 1000) / sampleRate),
  }));
  return { samples, words, chars, durationMs: Math.round((layout.totalSamples * 1000) / sampleRate) };
}
