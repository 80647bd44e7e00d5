import { describe, expect, it } from 'vitest';
import { criticalPath, firstChunkTokenAt, PARTS } from '../../../bench/lib/critical-path.js';
import type { ServerTurn } from '../../../bench/lib/server-probe.js';
import type { LlmCall } from '../../../bench/lib/timed-providers.js';
import { splitIntoTokens } from '../../../src/providers/simulated/text-tokens.js';

function llmCall(text: string, requestAt: number, firstAt: number, interval: number): LlmCall {
  const tokens = splitIntoTokens(text);
  return {
    requestAt,
    timerDueAt: requestAt - 0.5,
    items: tokens.map((t, k) => ({ text: t, at: firstAt + k * interval })),
    doneAt: firstAt + tokens.length * interval,
  };
}

function turn(over: Partial<ServerTurn> = {}): ServerTurn {
  return {
    callId: 'c',
    turnId: 'turn-1',
    speechEnd: { type: 'speech_end', eventAudioMs: 2000, detectedMs: 2272, frameArrivalAt: 1300, eventAt: 1301, lagMs: 1 },
    llmStartAt: 1701.5,
    llm: llmCall('You said: "Hello there". That is interesting. Tell me more.', 1702, 1950, 10),
    commitAt: 1902,
    commitDueAt: 1901.5,
    tts: { text: 'You said: "Hello there".', requestAt: 2032.5, timerDueAt: null, firstAudioAt: 2150, chunks: 3 },
    audioStartAt: 2151,
    firstSocketSendAt: 2151.5,
    clearAt: null,
    lastSocketSendBeforeClear: null,
    bargeStart: null,
    record: null,
    ...over,
  };
}

describe('firstChunkTokenAt', () => {
  it('is the token that lets the chunker cut the first chunk', () => {
    // "You said:" is too short for a first chunk; the sentence ends at '".' once " That" shows it is one.
    const call = llmCall('You said: "Hello there". That is interesting. Tell me more.', 0, 100, 10);
    const tokens = call.items.map((i) => i.text);
    const that = tokens.indexOf(' That');
    expect(that).toBe(8);
    expect(firstChunkTokenAt(call)).toBe(100 + that * 10);
  });

  it('falls back to the end of the stream when no chunk completes earlier', () => {
    expect(firstChunkTokenAt(llmCall('Hi there', 0, 100, 10))).toBe(120);
  });
});

describe('criticalPath', () => {
  it('splits voice-to-voice into parts that add up exactly', () => {
    const path = criticalPath(turn(), 1000, 2152)!;
    expect(path.parts).toEqual({
      vad_wait: 300,
      vad_lag: 1,
      eou_wait: 400.5,
      to_llm: 0.5,
      llm: 328,
      hold_extra: 0,
      to_tts: 2.5,
      tts: 117.5,
      to_socket: 1.5,
      downlink: 0.5,
    });
    const sum = PARTS.reduce((s, p) => s + path.parts[p], 0);
    expect(sum).toBeCloseTo(path.voiceToVoiceMs, 9);
    expect(path.voiceToVoiceMs).toBe(1152);
    expect(path.overheadMs).toBeCloseTo(1 + 0.5 + 2.5 + 1.5, 9);
  });

  it('counts a speculative hold that outlasts the LLM as policy and measures TTS from the commit', () => {
    const path = criticalPath(turn({ commitDueAt: 2100, tts: { text: 'x', requestAt: 2100.75, timerDueAt: 2100, firstAudioAt: 2220, chunks: 1 } }), 1000, 2300)!;
    expect(path.parts.hold_extra).toBe(2100 - 2030);
    expect(path.parts.to_tts).toBe(0.75);
    expect(PARTS.reduce((s, p) => s + path.parts[p], 0)).toBeCloseTo(1300, 9);
  });

  it('floors a timer that fired early at zero overhead but keeps the exact split', () => {
    const early = turn({ llm: { ...llmCall('You said: "Hello there". That is interesting.', 1701, 1950, 10), timerDueAt: 1701.5 } });
    const path = criticalPath(early, 1000, 2152)!;
    expect(path.parts.to_llm).toBe(-0.5);
    expect(path.overheadMs).toBeCloseTo(1 + 0 + 2.5 + 1.5, 9);
  });

  it('gives no path for a reply without a VAD end of speech or without audio', () => {
    expect(criticalPath(turn({ speechEnd: null }), 1000, 2152)).toBeNull();
    expect(criticalPath(turn({ firstSocketSendAt: null }), 1000, 2152)).toBeNull();
  });
});
