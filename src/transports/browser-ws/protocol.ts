// The browser voice protocol on /ws/voice: JSON text frames with a `type`, binary frames for audio.
// docs/protocol.md documents it for third-party clients; keep the two in step.
import { z } from 'zod';
import { SUPPORTED_SAMPLE_RATES } from '../../audio/pcm.js';

export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 1024 * 1024;

const sampleRate = z
  .number()
  .int()
  .refine((r) => (SUPPORTED_SAMPLE_RATES as readonly number[]).includes(r), {
    message: `must be one of ${SUPPORTED_SAMPLE_RATES.join(', ')}`,
  });

/** Settings a client may set at start or change mid-call. All optional; snake_case on the wire. */
export const wireSettingsSchema = z
  .object({
    debounce_ms: z.number().int().min(0).max(5000).nullable(),
    min_interruption_ms: z.number().int().min(0).max(5000),
    speculative_hold_ms: z.number().int().min(0).max(5000),
    correction_markers: z.array(z.string().min(1).max(40)).max(50),
    vad_threshold: z.number().min(0.05).max(0.99),
    vad_min_speech_ms: z.number().int().min(20).max(2000),
    vad_min_silence_ms: z.number().int().min(20).max(5000),
    greeting: z.string().max(2000).nullable(),
    system_prompt: z.string().max(20000),
  })
  .partial()
  .strict();
export type WireSettings = z.infer<typeof wireSettingsSchema>;

export const clientMessageSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('start_session'),
      agent: z.string().min(1).max(200).optional(),
      session_id: z.string().min(1).max(100).optional(),
      input_sample_rate: sampleRate.optional(),
      output_sample_rate: sampleRate.optional(),
      settings: wireSettingsSchema.optional(),
    })
    .strict(),
  z.object({ type: z.literal('interrupt') }).strict(),
  z.object({ type: z.literal('update_settings'), settings: wireSettingsSchema }).strict(),
  z.object({ type: z.literal('text_input'), text: z.string().min(1).max(10000) }).strict(),
  /** Keypad keys the caller pressed (a phone-style keypad in the client), in order. */
  z.object({ type: z.literal('dtmf'), digits: z.string().regex(/^[0-9*#A-D]{1,32}$/, 'must be 1 to 32 keypad keys: 0-9, *, #, A-D') }).strict(),
  z.object({ type: z.literal('end_session') }).strict(),
  z.object({ type: z.literal('ping'), t: z.number().optional() }).strict(),
  z.object({ type: z.literal('pong'), t: z.number().optional() }).strict(),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type TurnMetricsWire = {
  end_of_speech_at: number | null;
  stt_final_delay_ms: number | null;
  end_of_utterance_delay_ms: number | null;
  llm_ttft_ms: number | null;
  tts_ttfb_ms: number | null;
  first_audio_sent_at: number | null;
  voice_to_voice_ms: number | null;
  debounce_ms: number;
};

export type UsageWire = {
  stt_seconds: number;
  llm_prompt_tokens: number;
  llm_completion_tokens: number;
  tts_characters: number;
  telephony_minutes: number;
  cost_usd: number;
  /** The cost in the configured display currency. */
  cost: { amount: number; currency: string; formatted: string };
};

export type TurnSummaryWire = {
  turn_id: string;
  user_text: string;
  agent_text: string;
  heard_text: string;
  interrupted: boolean;
  outcome: 'completed' | 'interrupted' | 'canceled' | 'failed';
  speculative_cancels: number;
  provider_issues: string[];
  usage: UsageWire | null;
  metrics: TurnMetricsWire;
};

export type ServerMessage =
  | {
      type: 'session_ready';
      session_id: string;
      resumed: boolean;
      protocol_version: number;
      input_sample_rate: number;
      output_sample_rate: number;
      settings: Required<WireSettings>;
      engines: { vad: string; stt: string; llm: string; tts: string };
      /** The turn state right now (useful after a resume). */
      state: string;
    }
  | { type: 'settings_updated'; settings: Required<WireSettings> }
  | { type: 'state_change'; from: string; to: string; reason: string; at: number }
  | { type: 'transcript_partial'; text: string }
  | { type: 'transcript_final'; text: string; confidence: number }
  | { type: 'agent_text'; turn_id: string; text: string; final: boolean }
  /** Speech synthesis failed for this part of the reply: show it as text. */
  | { type: 'agent_text_fallback'; turn_id: string; text: string }
  | { type: 'agent_audio_start'; turn_id: string }
  | { type: 'agent_audio_end'; turn_id: string; interrupted: boolean }
  | { type: 'turn_complete'; turn: TurnSummaryWire }
  /** A flow agent's node and collected slots after the turn `turn_id`. */
  | { type: 'flow_state'; turn_id: string; node: string; slots: Record<string, string | number | boolean>; ended: boolean; handoff: boolean }
  /** One keypad key the caller pressed, as the server took it. */
  | { type: 'dtmf'; digit: string }
  | { type: 'telemetry'; metrics: Record<string, number | string | null> }
  | { type: 'error'; code: ErrorCode; message: string; recoverable: boolean }
  | { type: 'session_ended'; session_id: string; reason: string; usage?: UsageWire }
  | { type: 'ping'; t: number }
  | { type: 'pong'; t?: number };

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_message'
  | 'unknown_message_type'
  | 'no_session'
  | 'session_already_started'
  | 'session_not_found'
  | 'unknown_agent'
  | 'budget_exceeded'
  | 'unavailable'
  | 'invalid_audio'
  | 'provider_error'
  | 'stt_reconnecting'
  | 'internal_error';

/** Parses one text frame; returns the message or a protocol error to send back. */
export function parseClientMessage(raw: string): { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'text frame is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'invalid_message', message: 'message must be a JSON object with a "type" field' };
  }
  const type = (data as { type?: unknown }).type;
  const known = clientMessageSchema.options.map((o) => o.shape.type.value as string);
  if (typeof type !== 'string') return { ok: false, code: 'invalid_message', message: 'message has no string "type" field' };
  if (!known.includes(type)) {
    return { ok: false, code: 'unknown_message_type', message: `unknown message type "${type}" (expected one of ${known.join(', ')})` };
  }
  const parsed = clientMessageSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, code: 'invalid_message', message: `invalid ${type}: ${issues}` };
  }
  return { ok: true, message: parsed.data };
}
