import { describe, it, expect } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  InvalidTransitionError,
  TURN_STATES,
  TurnStateMachine,
  canTransition,
  type TurnState,
} from '../../src/turn/states.js';

// The table written out independently of the source, so a change to the source table fails here.
const EXPECTED_VALID = new Set<string>([
  'IDLE>LISTENING',
  'IDLE>COMMITTED',
  'LISTENING>SPECULATIVE',
  'LISTENING>IDLE',
  'LISTENING>COMMITTED',
  'SPECULATIVE>COMMITTED',
  'SPECULATIVE>LISTENING',
  'SPECULATIVE>IDLE',
  'COMMITTED>SPEAKING',
  'COMMITTED>LISTENING',
  'COMMITTED>IDLE',
  'SPEAKING>LISTENING',
  'SPEAKING>IDLE',
]);

/** A valid path from IDLE that ends in each state. */
const PATH_TO: Record<TurnState, TurnState[]> = {
  IDLE: [],
  LISTENING: ['LISTENING'],
  SPECULATIVE: ['LISTENING', 'SPECULATIVE'],
  COMMITTED: ['COMMITTED'],
  SPEAKING: ['COMMITTED', 'SPEAKING'],
};

function machineIn(state: TurnState, hooks = {}): TurnStateMachine {
  const m = new TurnStateMachine(hooks);
  PATH_TO[state].forEach((s, i) => m.transition(s, `setup-${i}`, i));
  expect(m.state).toBe(state);
  return m;
}

const ALL_PAIRS = TURN_STATES.flatMap((from) => TURN_STATES.map((to) => [from, to] as const));

describe('transition table', () => {
  it('has 25 pairs of which 13 are valid, matching the documented table', () => {
    expect(ALL_PAIRS).toHaveLength(25);
    const valid = ALL_PAIRS.filter(([f, t]) => canTransition(f, t)).map(([f, t]) => `${f}>${t}`);
    expect(new Set(valid)).toEqual(EXPECTED_VALID);
    for (const from of TURN_STATES) {
      expect(ALLOWED_TRANSITIONS[from].every((to) => EXPECTED_VALID.has(`${from}>${to}`))).toBe(true);
    }
  });

  it('never allows a state to move to itself', () => {
    for (const s of TURN_STATES) expect(canTransition(s, s)).toBe(false);
  });
});

describe('TurnStateMachine.transition', () => {
  it('starts in IDLE with empty history', () => {
    const m = new TurnStateMachine();
    expect(m.state).toBe('IDLE');
    expect(m.history).toEqual([]);
  });

  for (const [from, to] of ALL_PAIRS) {
    const valid = EXPECTED_VALID.has(`${from}>${to}`);
    it(`${from} -> ${to} is ${valid ? 'accepted' : 'rejected'}`, () => {
      const m = machineIn(from);
      const before = m.history.length;
      expect(m.canTransition(to)).toBe(valid);
      if (valid) {
        const rec = m.transition(to, 'because', 1234);
        expect(rec).toEqual({ from, to, reason: 'because', at: 1234 });
        expect(m.state).toBe(to);
        expect(m.history).toHaveLength(before + 1);
        expect(m.history[m.history.length - 1]).toEqual(rec);
      } else {
        let caught: unknown;
        try {
          m.transition(to, 'bad move', 99);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(InvalidTransitionError);
        const err = caught as InvalidTransitionError;
        expect(err.from).toBe(from);
        expect(err.to).toBe(to);
        expect(err.cause_).toBe('bad move');
        expect(err.name).toBe('InvalidTransitionError');
        expect(err.message).toBe(`invalid turn transition ${from} -> ${to} (bad move)`);
        expect(m.state).toBe(from);
        expect(m.history).toHaveLength(before);
      }
    });
  }

  it('records a full turn in order with causes and times', () => {
    const m = new TurnStateMachine();
    m.transition('LISTENING', 'vad.speech_start', 100);
    m.transition('SPECULATIVE', 'debounce', 900);
    m.transition('COMMITTED', 'hold elapsed', 1100);
    m.transition('SPEAKING', 'first audio', 1400);
    m.transition('IDLE', 'played out', 3000);
    expect(m.history).toEqual([
      { from: 'IDLE', to: 'LISTENING', reason: 'vad.speech_start', at: 100 },
      { from: 'LISTENING', to: 'SPECULATIVE', reason: 'debounce', at: 900 },
      { from: 'SPECULATIVE', to: 'COMMITTED', reason: 'hold elapsed', at: 1100 },
      { from: 'COMMITTED', to: 'SPEAKING', reason: 'first audio', at: 1400 },
      { from: 'SPEAKING', to: 'IDLE', reason: 'played out', at: 3000 },
    ]);
  });

  it('keeps only the newest maxHistory records', () => {
    const m = new TurnStateMachine({}, 3);
    for (let i = 0; i < 5; i++) m.transition(i % 2 === 0 ? 'LISTENING' : 'IDLE', `r${i}`, i);
    expect(m.history.map((r) => r.reason)).toEqual(['r2', 'r3', 'r4']);
  });
});

describe('hooks', () => {
  it('runs exit of the old state before enter of the new, both with the record, after the state changes for enter', () => {
    const calls: string[] = [];
    const seen: unknown[] = [];
    // hooks read the machine's state through this holder, filled in once it exists
    const ref: { m?: TurnStateMachine } = {};
    const hooks = {
      IDLE: {
        exit: (r: unknown) => {
          calls.push(`exit IDLE (state=${ref.m?.state})`);
          seen.push(r);
        },
      },
      LISTENING: {
        enter: (r: unknown) => {
          calls.push(`enter LISTENING (state=${ref.m?.state})`);
          seen.push(r);
        },
        exit: () => calls.push('exit LISTENING'),
      },
      SPECULATIVE: { enter: () => calls.push('enter SPECULATIVE') },
    };
    const m = new TurnStateMachine(hooks);
    ref.m = m;
    const rec = m.transition('LISTENING', 'speech', 7);
    expect(calls).toEqual(['exit IDLE (state=IDLE)', 'enter LISTENING (state=LISTENING)']);
    expect(seen).toEqual([rec, rec]);
    expect(seen[0]).toBe(rec);
    m.transition('SPECULATIVE', 'debounce', 8);
    expect(calls.slice(2)).toEqual(['exit LISTENING', 'enter SPECULATIVE']);
  });

  it('runs no hooks for a rejected move', () => {
    const calls: string[] = [];
    const m = new TurnStateMachine({
      IDLE: { exit: () => calls.push('exit IDLE') },
      SPEAKING: { enter: () => calls.push('enter SPEAKING') },
    });
    expect(() => m.transition('SPEAKING', 'nope', 1)).toThrow(InvalidTransitionError);
    expect(calls).toEqual([]);
  });
});
