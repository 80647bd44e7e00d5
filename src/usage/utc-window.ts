// Budget windows: the UTC day and the UTC month an instant falls in. Keys are ISO strings
// ('2025-03-31', '2025-03') so they order correctly as strings and read well in JSON.

export type UtcWindow = {
  /** 'YYYY-MM-DD' for a day, 'YYYY-MM' for a month. */
  key: string;
  /** Start of the window, ms since the epoch. */
  startsAt: number;
  /** Start of the next window, ms since the epoch. */
  endsAt: number;
};

export function utcDay(ms: number): UtcWindow {
  const d = checked(ms);
  const startsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const endsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return { key: new Date(startsAt).toISOString().slice(0, 10), startsAt, endsAt };
}

export function utcMonth(ms: number): UtcWindow {
  const d = checked(ms);
  const startsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const endsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { key: new Date(startsAt).toISOString().slice(0, 7), startsAt, endsAt };
}

/** The window a key names (inverse of utcDay/utcMonth(...).key). */
export function windowOfKey(key: string): UtcWindow {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(key);
  if (!m) throw new RangeError(`not a UTC day or month key: ${key}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, m[3] ? Number(m[3]) : 1);
  const window = m[3] ? utcDay(ms) : utcMonth(ms);
  if (window.key !== key) throw new RangeError(`not a UTC day or month key: ${key}`);
  return window;
}

function checked(ms: number): Date {
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) throw new RangeError(`wall time must be ms since the epoch, got ${ms}`);
  return d;
}
