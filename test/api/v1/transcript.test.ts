// Transcripts: what the caller said and what the caller heard of the agent, timed from the call
// start by the timeline (or the turn rows when the timeline says nothing), as JSON, text and SRT.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTranscript } from '../../../src/api/v1/transcript-build.js';
import { clockTime, transcriptSrt } from '../../../src/api/v1/transcript-formats.js';
import type { Call, Turn } from '../../../src/store/repository.js';
import { agentBody, eventRow, seedCall, simpleTurn } from './fixtures.js';
import { startApi, type ApiHarness } from './harness.js';
import { agentBodySchema, agentBodyToConfig } from '../../../src/api/v1/agent-body.js';

const START = '2026-02-01T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

describe('clockTime', () => {
  it('writes HH:MM:SS with milliseconds', () => {
    expect(clockTime(0, ',')).toBe('00:00:00,000');
    expect(clockTime(3_723_045, ',')).toBe('01:02:03,045');
    expect(clockTime(59_999.6, '.')).toBe('00:01:00.000');
    expect(clockTime(-5, ',')).toBe('00:00:00,000');
  });
});

describe('buildTranscript', () => {
  const call = { startedAt: START } as Call;

  it('times turns from the turn rows when there are no events, estimating how long the agent spoke', () => {
    const long = 'x'.repeat(100);
    const turns = [simpleTurn('c', 1, 'second', 'two', Date.parse(START) + 6000), simpleTurn('c', 0, 'first', long, Date.parse(START) + 1000)];
    const segments = buildTranscript({ call, turns, events: [] });
    expect(segments.map((s) => [s.index, s.speaker, s.startMs, s.endMs])).toEqual([
      [1, 'caller', 1000, 5000],
      // 100 characters would take 7 s: cut where the next line starts.
      [2, 'agent', 5000, 6000],
      [3, 'caller', 6000, 10000],
      [4, 'agent', 10000, 10210],
    ]);
  });

  it('uses the agent audio events and the turn marks (session clock) when recorded', () => {
    const turn: Turn = { ...simpleTurn('c', 0, 'book me in', 'Sure, which day works for you?', Date.parse(START) + 1000), heardText: 'Sure, which', wasInterrupted: true };
    // Session clock: call.started at 500 ms is the call start.
    const events = [
      eventRow('c', 1, at(0), { type: 'call.started', at: 500, agent: 'a', inputSampleRate: 16000, outputSampleRate: 16000 }),
      eventRow('c', 2, at(2750), { type: 'agent.audio_start', at: 3200, turnId: turn.id }),
      eventRow('c', 3, at(3500), { type: 'agent.audio_end', at: 4100, turnId: turn.id, interrupted: true, playedMs: 900 }),
      eventRow('c', 4, at(3600), {
        type: 'turn.completed',
        at: 4150,
        turn: { turnId: turn.id, marks: { speechEndAt: 2300, firstAudioSentAt: 3200, endedAt: 4100 } },
      }),
    ];
    const segments = buildTranscript({ call, turns: [turn], events });
    expect(segments).toEqual([
      { index: 1, speaker: 'caller', text: 'book me in', startMs: 1000, endMs: 1800, interrupted: false, turnIdx: 0 },
      { index: 2, speaker: 'agent', text: 'Sure, which', startMs: 2700, endMs: 3600, interrupted: true, turnIdx: 0 },
    ]);
  });

  it('says nothing for the agent when the caller heard nothing of an interrupted reply', () => {
    const turn: Turn = { ...simpleTurn('c', 0, 'stop', 'I was about to say', Date.parse(START)), heardText: '', wasInterrupted: true };
    expect(buildTranscript({ call, turns: [turn], events: [] }).map((s) => s.speaker)).toEqual(['caller']);
    const notInterrupted: Turn = { ...turn, wasInterrupted: false };
    expect(buildTranscript({ call, turns: [notInterrupted], events: [] }).map((s) => s.text)).toEqual(['stop', 'I was about to say']);
  });

  it('writes SRT cues numbered from 1 with a blank line between them', () => {
    const srt = transcriptSrt([
      { index: 1, speaker: 'caller', text: 'hi\nthere', startMs: 1200, endMs: 2500, interrupted: false, turnIdx: 0 },
      { index: 2, speaker: 'agent', text: 'hello', startMs: 2600, endMs: 3_661_001, interrupted: true, turnIdx: 0 },
    ]);
    expect(srt).toBe('1\n00:00:01,200 --> 00:00:02,500\nCaller: hi there\n\n2\n00:00:02,600 --> 01:01:01,001\nAgent (interrupted): hello\n');
  });
});

describe('GET /v1/calls/:id/transcript', () => {
  let api: ApiHarness;
  let key: string;

  beforeEach(async () => {
    api = await startApi();
    ({ key } = await api.keyFor('acme'));
    await api.repository.createAgent('acme', { id: 'agent-a', name: 'A', config: agentBodyToConfig(agentBodySchema.parse(agentBody())) });
    await seedCall(api.repository, 'acme', { id: 'c1', agentId: 'agent-a', startedAt: START });
    await api.repository.insertTurn('acme', simpleTurn('c1', 0, 'Hello', 'Hi, how can I help?', Date.parse(START) + 1500));
    await api.repository.insertTurn('acme', { ...simpleTurn('c1', 1, 'Book me', 'Which day would suit', Date.parse(START) + 8000), heardText: 'Which day', wasInterrupted: true });
  });
  afterEach(() => api.close());

  it('answers JSON by default', async () => {
    const res = await api.call(key, { method: 'GET', url: '/v1/calls/c1/transcript' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      call_id: 'c1',
      started_at: START,
      segments: [
        { index: 1, speaker: 'caller', text: 'Hello', start_ms: 1500, end_ms: 5500, interrupted: false, turn_idx: 0 },
        { index: 2, speaker: 'agent', text: 'Hi, how can I help?', start_ms: 5500, end_ms: 6830, interrupted: false, turn_idx: 0 },
        { index: 3, speaker: 'caller', text: 'Book me', start_ms: 8000, end_ms: 12000, interrupted: false, turn_idx: 1 },
        { index: 4, speaker: 'agent', text: 'Which day', start_ms: 12000, end_ms: 12630, interrupted: true, turn_idx: 1 },
      ],
    });
  });

  it('answers text and SRT', async () => {
    const text = await api.call(key, { method: 'GET', url: '/v1/calls/c1/transcript?format=text' });
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.body).toBe(
      '[00:00:01.500] Caller: Hello\n[00:00:05.500] Agent: Hi, how can I help?\n[00:00:08.000] Caller: Book me\n[00:00:12.000] Agent (interrupted): Which day\n',
    );
    const srt = await api.call(key, { method: 'GET', url: '/v1/calls/c1/transcript?format=srt' });
    expect(srt.headers['content-type']).toBe('application/x-subrip; charset=utf-8');
    expect(srt.body.split('\n\n')).toHaveLength(4);
    expect(srt.body.startsWith('1\n00:00:01,500 --> 00:00:05,500\nCaller: Hello\n\n2\n00:00:05,500 --> 00:00:06,830\nAgent: Hi, how can I help?\n\n3\n')).toBe(true);
  });

  it('rejects an unknown format and answers 404 for an unknown call', async () => {
    const bad = await api.call(key, { method: 'GET', url: '/v1/calls/c1/transcript?format=vtt' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues[0].field).toBe('format');
    expect((await api.call(key, { method: 'GET', url: '/v1/calls/zz/transcript' })).statusCode).toBe(404);
  });
});
