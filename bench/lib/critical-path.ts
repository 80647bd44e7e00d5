// Splits one reply's voice-to-voice time into policy waits, provider time and Parley's own time.
// All instants are performance.now() in one process (client and server share the clock).
//
//   caller stops speaking (energy end of the streamed audio)
//   -> [vad_wait]     min silence + 32 ms window rounding + Silero's hangover + uplink   (policy)
//   -> frame that completed the end-of-speech window arrives at the VAD
//   -> [vad_lag]      batching, worker round trip, inference                           (PARLEY)
//   -> speech_end reaches the session
//   -> [eou_wait]     debounce (or waiting for the STT final)                           (policy)
//   -> timer due
//   -> [to_llm]       timer lateness, turn core, session, LLM request                   (PARLEY)
//   -> LLM called
//   -> [llm]          TTFT + tokens until the first speakable chunk is complete         (provider)
//   -> [hold_extra]   speculative hold still running after that token                   (policy)
//   -> max(token that completed the first chunk, commit timer due)
//   -> [to_tts]       chunking, turn core, session, TTS request                         (PARLEY)
//   -> TTS called
//   -> [tts]          time to first audio                                               (provider)
//   -> first audio leaves the TTS
//   -> [to_socket]    playout queue, pacing timer, transport encode, ws.send             (PARLEY)
//   -> first frame handed to the socket
//   -> [downlink]     loopback WebSocket to the client                                  (transport)
//   -> client receives the first agent frame
import { SentenceChunker } from '../../src/turn/sentence-chunker.js';
import { defaultTurnSettings } from '../../src/turn/turn-inputs.js';
import type { LlmCall } from './timed-providers.js';
import type { ServerTurn } from './server-probe.js';

export const PARTS = ['vad_wait', 'vad_lag', 'eou_wait', 'to_llm', 'llm', 'hold_extra', 'to_tts', 'tts', 'to_socket', 'downlink'] as const;
export type Part = (typeof PARTS)[number];
export const PARLEY_PARTS: readonly Part[] = ['vad_lag', 'to_llm', 'to_tts', 'to_socket'];

export const PART_LABELS: Record<Part, string> = {
  vad_wait: 'VAD end-of-speech wait (min silence, window, uplink)',
  vad_lag: 'VAD processing lag                      [Parley]',
  eou_wait: 'end-of-utterance wait (debounce)',
  to_llm: 'debounce due -> LLM request             [Parley]',
  llm: 'LLM: TTFT + tokens to first chunk',
  hold_extra: 'speculative hold beyond the LLM',
  to_tts: 'first chunk/commit -> TTS request       [Parley]',
  tts: 'TTS time to first audio',
  to_socket: 'TTS first audio -> frame to socket      [Parley]',
  downlink: 'socket -> client (loopback WS)',
};

/** When the token that completed the first TTS chunk left the LLM (or the stream end, if none did). */
export function firstChunkTokenAt(call: LlmCall): number | null {
  const chunker = new SentenceChunker(defaultTurnSettings);
  for (const item of call.items) {
    if (item.text !== null && chunker.push(item.text).length > 0) return item.at;
  }
  return call.doneAt;
}

export type CriticalPath = { parts: Record<Part, number>; overheadMs: number; voiceToVoiceMs: number };

/** Null when a piece is missing (the reply did not come from a clean end of speech). */
export function criticalPath(turn: ServerTurn, speechEndAt: number, clientFirstAudioAt: number): CriticalPath | null {
  const { speechEnd, llm, tts } = turn;
  if (!speechEnd || !llm || !tts || tts.firstAudioAt === null || turn.firstSocketSendAt === null) return null;
  const tokenAt = firstChunkTokenAt(llm);
  if (tokenAt === null || !Number.isFinite(speechEnd.frameArrivalAt)) return null;
  const llmRef = llm.timerDueAt ?? llm.requestAt;
  const commitRef = turn.commitDueAt ?? tokenAt;
  const ttsRef = Math.max(tokenAt, commitRef);
  const parts: Record<Part, number> = {
    vad_wait: speechEnd.frameArrivalAt - speechEndAt,
    vad_lag: speechEnd.eventAt - speechEnd.frameArrivalAt,
    eou_wait: llmRef - speechEnd.eventAt,
    to_llm: llm.requestAt - llmRef,
    llm: tokenAt - llm.requestAt,
    hold_extra: Math.max(0, commitRef - tokenAt),
    to_tts: tts.requestAt - ttsRef,
    tts: tts.firstAudioAt - tts.requestAt,
    to_socket: turn.firstSocketSendAt - tts.firstAudioAt,
    downlink: clientFirstAudioAt - turn.firstSocketSendAt,
  };
  // A timer may fire a fraction of a millisecond early (libuv's cached loop time); that is not
  // negative overhead, so each of Parley's gaps counts from zero.
  const overheadMs = PARLEY_PARTS.reduce((s, p) => s + Math.max(0, parts[p]), 0);
  return { parts, overheadMs, voiceToVoiceMs: clientFirstAudioAt - speechEndAt };
}
