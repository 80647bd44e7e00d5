// The Twilio Media Streams wire messages (bidirectional `<Connect><Stream>`): what Twilio sends,
// checked field by field so a bad message is named and skipped, and what Parley sends back.
// Unknown fields are tolerated (Twilio may add some); unknown events are reported, never fatal.
import { z } from 'zod';

/** Twilio sends sequence numbers as strings counting up from "1"; numbers are tolerated too. */
const sequenceNumber = z.union([z.string().regex(/^\d{1,15}$/, 'must be a decimal string'), z.number().int().nonnegative()]).transform(Number);
const sid = z.string().min(1).max(64);

const connectedSchema = z.object({ event: z.literal('connected'), protocol: z.string().optional(), version: z.string().optional() });

const startSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: sequenceNumber.optional(),
  streamSid: sid.optional(),
  start: z.object({
    streamSid: sid,
    accountSid: sid.optional(),
    callSid: sid,
    tracks: z.array(z.string()).optional(),
    customParameters: z.record(z.string(), z.unknown()).optional(),
    mediaFormat: z.object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() }),
  }),
});

const mediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: sequenceNumber.optional(),
  streamSid: sid,
  media: z.object({
    track: z.string().optional(),
    chunk: z.union([z.string(), z.number()]).optional(),
    timestamp: z.union([z.string(), z.number()]).optional(),
    payload: z.string().min(1, 'is empty').regex(/^[A-Za-z0-9+/]*={0,2}$/, 'is not base64'),
  }),
});

const dtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: sequenceNumber.optional(),
  streamSid: sid,
  dtmf: z.object({ track: z.string().optional(), digit: z.string().regex(/^[0-9*#A-Da-d]$/, 'must be one of 0-9 * # A-D') }),
});

const markSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: sequenceNumber.optional(),
  streamSid: sid,
  mark: z.object({ name: z.string() }),
});

const stopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: sequenceNumber.optional(),
  streamSid: sid,
  stop: z.object({ accountSid: sid.optional(), callSid: sid.optional() }).optional(),
});

const SCHEMAS = { connected: connectedSchema, start: startSchema, media: mediaSchema, dtmf: dtmfSchema, mark: markSchema, stop: stopSchema } as const;

export type StreamEvent = keyof typeof SCHEMAS;
export type ConnectedMessage = z.output<typeof connectedSchema>;
export type StartMessage = z.output<typeof startSchema>;
export type MediaMessage = z.output<typeof mediaSchema>;
export type DtmfMessage = z.output<typeof dtmfSchema>;
export type MarkMessage = z.output<typeof markSchema>;
export type StopMessage = z.output<typeof stopSchema>;
export type InboundMessage = ConnectedMessage | StartMessage | MediaMessage | DtmfMessage | MarkMessage | StopMessage;
/** The messages that follow `start` and belong to its stream. */
export type StreamMessage = MediaMessage | DtmfMessage | MarkMessage | StopMessage;

export type ParsedMessage = { ok: true; message: InboundMessage } | { ok: false; event: string | null; reason: string };

/** One text frame from Twilio: a checked message, or why it is not one (`event` when it named one). */
export function parseStreamMessage(text: string): ParsedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, event: null, reason: `not JSON: ${preview(text)}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, event: null, reason: 'not a JSON object' };
  const event = (raw as { event?: unknown }).event;
  if (typeof event !== 'string') return { ok: false, event: null, reason: 'no "event" field' };
  if (!Object.hasOwn(SCHEMAS, event)) return { ok: false, event, reason: `unknown event "${preview(event)}"` };
  const parsed = SCHEMAS[event as StreamEvent].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, event, reason: `"${event}" message: ${issue.path.join('.') || '(message)'} ${issue.message}` };
  }
  return { ok: true, message: parsed.data };
}

/** The μ-law bytes of a media payload (already checked to be base64). */
export function mediaBytes(message: MediaMessage): Buffer {
  return Buffer.from(message.media.payload, 'base64');
}

export function mediaOut(streamSid: string, muLaw: Uint8Array): string {
  return JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.from(muLaw.buffer, muLaw.byteOffset, muLaw.byteLength).toString('base64') } });
}

export function markOut(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function clearOut(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
