// A transcript written out: JSON segments, plain text with timestamps, or SubRip (.srt) subtitles
// numbered from 1 with `HH:MM:SS,mmm --> HH:MM:SS,mmm` times.
import type { TranscriptSegment } from './transcript-build.js';

export const TRANSCRIPT_FORMATS = ['json', 'text', 'srt'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

/** `HH:MM:SS` and the milliseconds after `separator` (`,` for SRT, `.` for text). */
export function clockTime(ms: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(ms));
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.floor((total % 60_000) / 1000);
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}${separator}${pad(total % 1000, 3)}`;
}

const label = (s: TranscriptSegment) => (s.speaker === 'caller' ? 'Caller' : s.interrupted ? 'Agent (interrupted)' : 'Agent');
/** One line of text per cue: line breaks inside a segment would end an SRT cue early. */
const oneLine = (text: string) => text.replace(/\s*\r?\n\s*/g, ' ');

export function transcriptText(segments: TranscriptSegment[]): string {
  return segments.map((s) => `[${clockTime(s.startMs, '.')}] ${label(s)}: ${oneLine(s.text)}\n`).join('');
}

export function transcriptSrt(segments: TranscriptSegment[]): string {
  return segments
    .map((s, i) => `${i + 1}\n${clockTime(s.startMs, ',')} --> ${clockTime(Math.max(s.endMs, s.startMs), ',')}\n${label(s)}: ${oneLine(s.text)}\n`)
    .join('\n');
}

export function transcriptJson(callId: string, startedAt: string, segments: TranscriptSegment[]): Record<string, unknown> {
  return {
    call_id: callId,
    started_at: startedAt,
    segments: segments.map((s) => ({
      index: s.index,
      speaker: s.speaker,
      text: s.text,
      start_ms: s.startMs,
      end_ms: s.endMs,
      interrupted: s.interrupted,
      turn_idx: s.turnIdx,
    })),
  };
}
