// Reading client → server messages of the TTS sockets: JSON text frames with snake_case keys. The first
// message of a stream (or of a context) may carry `voice_settings` and `generation_config`; afterwards
// `voice_settings` must be absent or unchanged (the vendor closes 1008 with the message quoted in
// pipecat-ai/pipecat#4541).
import type { RawData } from 'ws';
import { parseSchedule } from './text-schedule.js';

export type ClientMessage = Record<string, unknown>;

export type ParsedFrame = { ok: true; message: ClientMessage } | { ok: false; error: string };

export function parseClientFrame(data: RawData, isBinary: boolean): ParsedFrame {
  if (isBinary) return { ok: false, error: 'binary frames are not accepted; send JSON text messages' };
  let value: unknown;
  try {
    value = JSON.parse(rawText(data));
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'message must be a JSON object' };
  return { ok: true, message: value as ClientMessage };
}

export type StreamSettings = { schedule: readonly number[]; voiceSettings: string | null };

/** Settings of a first message; an error string when they are invalid. */
export function readSettings(message: ClientMessage): StreamSettings | string {
  const voice = message.voice_settings;
  if (voice !== undefined && voice !== null) {
    if (typeof voice !== 'object' || Array.isArray(voice)) return 'voice_settings must be an object';
    const speed = (voice as Record<string, unknown>).speed;
    if (speed !== undefined && (typeof speed !== 'number' || speed < 0.7 || speed > 1.2)) return 'voice_settings.speed must be between 0.7 and 1.2';
    for (const field of ['stability', 'similarity_boost', 'style']) {
      const v = (voice as Record<string, unknown>)[field];
      if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1)) return `voice_settings.${field} must be between 0 and 1`;
    }
  }
  const config = message.generation_config;
  const schedule = parseSchedule(config && typeof config === 'object' ? (config as Record<string, unknown>).chunk_length_schedule : undefined);
  if (typeof schedule === 'string') return schedule;
  return { schedule, voiceSettings: voice === undefined || voice === null ? null : JSON.stringify(voice) };
}

export const VOICE_SETTINGS_CHANGED =
  'voice_settings field must be provided in the first message and then either be not provided or not change.';

/** True when a later message changes the voice settings of the first. */
export function changesVoiceSettings(message: ClientMessage, first: StreamSettings): boolean {
  const voice = message.voice_settings;
  if (voice === undefined || voice === null) return false;
  return JSON.stringify(voice) !== first.voiceSettings;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
