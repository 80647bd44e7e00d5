// Random identifiers a UA mints: branches (one per transaction, with RFC 3261's magic cookie),
// tags (one per dialog side) and Call-IDs. 64+ bits of crypto randomness makes collisions moot.
import { randomBytes } from 'node:crypto';
import { BRANCH_COOKIE } from './sip-via.js';

function random(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function newBranch(): string {
  return `${BRANCH_COOKIE}${random(10)}`;
}

export function newTag(): string {
  return random(8);
}

export function newCallId(host: string): string {
  return `${random(12)}@${/^[A-Za-z0-9.-]+$/.test(host) ? host : 'parley'}`;
}

/** A first CSeq number: random below 2**31 leaves room for every request a dialog will make. */
export function initialCSeq(): number {
  return 1 + (randomBytes(2).readUInt16BE(0) % 10_000);
}
