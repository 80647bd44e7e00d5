// The query parameters of the stream-input and multi-stream-input sockets (protocols.md §4a).
import type { SimControl } from '../sim-control.js';
import { parseOutputFormat, type SimOutputFormat } from './elevenlabs-formats.js';

export type StreamParams = {
  voiceId: string;
  modelId: string;
  format: SimOutputFormat;
  inactivityMs: number;
  syncAlignment: boolean;
  autoMode: boolean;
};

/** The vendor's cap on `inactivity_timeout` (seconds). */
const MAX_INACTIVITY_S = 180;

export function parseStreamParams(voiceId: string, url: URL, control: SimControl): StreamParams | { error: string } {
  const q = url.searchParams;
  const format = parseOutputFormat(q.get('output_format'));
  if ('error' in format) return { error: format.error };
  let inactivityMs = control.timeouts.elevenLabsInactivityMs;
  const inactivity = q.get('inactivity_timeout');
  if (inactivity !== null) {
    const seconds = Number(inactivity);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_INACTIVITY_S) {
      return { error: `inactivity_timeout must be a number of seconds from 1 to ${MAX_INACTIVITY_S}, got ${inactivity}` };
    }
    inactivityMs = seconds * 1000;
  }
  const syncAlignment = parseBool(q.get('sync_alignment'), 'sync_alignment');
  if (typeof syncAlignment === 'object') return syncAlignment;
  const autoMode = parseBool(q.get('auto_mode'), 'auto_mode');
  if (typeof autoMode === 'object') return autoMode;
  return { voiceId, modelId: q.get('model_id') ?? 'eleven_multilingual_v2', format: format.format, inactivityMs, syncAlignment, autoMode };
}

function parseBool(value: string | null, name: string): boolean | { error: string } {
  if (value === null) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return { error: `${name} must be true or false, got ${value}` };
}
