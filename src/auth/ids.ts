// Ids for rows the API creates: a type prefix, then a time-ordered part and randomness
// (`agt_0m4x2k9a0001q3v8c1zd`), so rows made in the same millisecond still sort in creation order.
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;

export function newId(prefix: string): string {
  const ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    seq = 0;
  } else {
    seq += 1;
  }
  const time = lastMs.toString(36).padStart(9, '0');
  const counter = (seq % 36 ** 4).toString(36).padStart(4, '0');
  return `${prefix}_${time}${counter}${randomBytes(6).toString('hex')}`;
}
