// The five turn states and the explicit table of moves between them.

export const TURN_STATES = ['IDLE', 'LISTENING', 'SPECULATIVE', 'COMMITTED', 'SPEAKING'] as const;
export type TurnState = (typeof TURN_STATES)[number];

/** Every allowed move. Anything not listed is rejected by `transition`. */
export const ALLOWED_TRANSITIONS: Readonly<Record<TurnState, readonly TurnState[]>> = {
  // caller starts talking; typed input or a greeting goes straight to a committed reply
  IDLE: ['LISTENING', 'COMMITTED'],
  // end of utterance -> speculate; noise with no words -> back to idle; typed input commits
  LISTENING: ['SPECULATIVE', 'IDLE', 'COMMITTED'],
  // held long enough -> commit; caller resumes -> listen again; LLM failed -> idle
  SPECULATIVE: ['COMMITTED', 'LISTENING', 'IDLE'],
  // first audio out -> speaking; caller speaks or corrects -> listen; nothing to say -> idle
  COMMITTED: ['SPEAKING', 'LISTENING', 'IDLE'],
  // barge-in -> listen; reply played out -> idle
  SPEAKING: ['LISTENING', 'IDLE'],
};

export function canTransition(from: TurnState, to: TurnState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: TurnState,
    readonly to: TurnState,
    readonly cause_: string,
  ) {
    super(`invalid turn transition ${from} -> ${to} (${cause_})`);
    this.name = 'InvalidTransitionError';
  }
}

export type TransitionRecord = { from: TurnState; to: TurnState; reason: string; at: number };

export type StateHooks = Partial<Record<TurnState, { enter?: (t: TransitionRecord) => void; exit?: (t: TransitionRecord) => void }>>;

/** Guarded state holder: rejects invalid moves, runs exit/enter hooks, keeps the history. */
export class TurnStateMachine {
  private current: TurnState = 'IDLE';
  readonly history: TransitionRecord[] = [];

  constructor(
    private readonly hooks: StateHooks = {},
    private readonly maxHistory = 1000,
  ) {}

  get state(): TurnState {
    return this.current;
  }

  canTransition(to: TurnState): boolean {
    return canTransition(this.current, to);
  }

  transition(to: TurnState, reason: string, at: number): TransitionRecord {
    const from = this.current;
    if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, reason);
    const record: TransitionRecord = { from, to, reason, at };
    this.hooks[from]?.exit?.(record);
    this.current = to;
    this.history.push(record);
    if (this.history.length > this.maxHistory) this.history.splice(0, this.history.length - this.maxHistory);
    this.hooks[to]?.enter?.(record);
    return record;
  }
}
