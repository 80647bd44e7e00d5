// An append-only JSON-lines file holding queued writes that did not fit in memory, read back in
// order. Appends are synchronous: a line to the page cache costs microseconds, and keeping them
// synchronous keeps the order of the queue trivially the order of the file.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const CHUNK = 64 * 1024;

export class SpillFile<T> {
  private readOffset = 0;
  private pendingLines = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    // A crash in the middle of an append leaves a partial last line: it was never acknowledged
    // as spilled by a finished append, so drop it.
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < Buffer.byteLength(text)) truncateSync(path, Buffer.byteLength(text.slice(0, complete)));
    this.pendingLines = text.slice(0, complete).split('\n').filter((l) => l.length > 0).length;
  }

  /** Entries written and not yet read back. */
  get pending(): number {
    return this.pendingLines;
  }

  append(entry: T): void {
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
    this.pendingLines++;
  }

  /** The next `max` entries in the order they were appended. */
  read(max: number): T[] {
    if (this.pendingLines === 0 || max <= 0) return [];
    const out: T[] = [];
    const fd = openSync(this.path, 'r');
    try {
      let carry = Buffer.alloc(0);
      let position = this.readOffset;
      const buf = Buffer.alloc(CHUNK);
      while (out.length < max) {
        const n = readSync(fd, buf, 0, CHUNK, position);
        if (n === 0) break;
        position += n;
        carry = Buffer.concat([carry, buf.subarray(0, n)]);
        let nl: number;
        while (out.length < max && (nl = carry.indexOf(0x0a)) >= 0) {
          const line = carry.subarray(0, nl).toString('utf8');
          this.readOffset += nl + 1;
          carry = carry.subarray(nl + 1);
          if (line.length > 0) out.push(JSON.parse(line) as T);
        }
      }
    } finally {
      closeSync(fd);
    }
    this.pendingLines -= out.length;
    if (this.pendingLines === 0) {
      // Everything read back: start the file afresh rather than let it grow for ever.
      truncateSync(this.path, 0);
      this.readOffset = 0;
    }
    return out;
  }

  /** Rewrites the file as `head` followed by whatever was not read yet (used at shutdown). */
  prepend(head: T[]): void {
    if (head.length === 0) return;
    const rest = this.pendingLines > 0 ? readFileSync(this.path).subarray(this.readOffset) : Buffer.alloc(0);
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, Buffer.concat([Buffer.from(head.map((e) => `${JSON.stringify(e)}\n`).join('')), rest]));
    renameSync(tmp, this.path);
    this.readOffset = 0;
    this.pendingLines += head.length;
  }
}
