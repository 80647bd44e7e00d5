// When a failed delivery is tried again: a list of delays, one per retry, with optional jitter.
// A delivery gets one first attempt plus one retry per delay; after that it is a dead letter.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h: the last attempt is ~15.7 h after the first. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR];
/** ±10 % of each delay, so receivers coming back up are not hit by every sender at once. */
export const DEFAULT_RETRY_JITTER = 0.1;

export function validateSchedule(schedule: readonly number[]): readonly number[] {
  for (const delay of schedule) {
    if (!Number.isFinite(delay) || delay < 0) throw new Error(`webhook retry delays must be non-negative numbers of ms, got ${delay}`);
  }
  return [...schedule];
}

/**
 * The delay before the next attempt after `failuresInRow` consecutive failed attempts (counting the
 * one that just failed), or null when the round is used up. Rounds repeat: after a replay the
 * count goes on past the end of the last round and maps back to the start of the schedule.
 */
export function retryDelayMs(schedule: readonly number[], failuresInRow: number): number | null {
  if (failuresInRow < 1) throw new Error(`failuresInRow must be at least 1, got ${failuresInRow}`);
  const positionInRound = (failuresInRow - 1) % (schedule.length + 1);
  return positionInRound < schedule.length ? schedule[positionInRound] : null;
}

/** `delayMs` moved by up to ±`jitter` of itself; `random` returns [0, 1). */
export function jittered(delayMs: number, jitter: number, random: () => number): number {
  if (jitter <= 0) return delayMs;
  return Math.max(0, Math.round(delayMs * (1 + jitter * (2 * random() - 1))));
}
