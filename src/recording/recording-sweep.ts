// The retention sweep: deletes recordings of calls older than the retention period and clears
// their links; optionally also stray files in the recordings folder (left by a crash mid-call).
import { readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Repository } from '../store/repository.js';

/** The two repository methods the sweep uses (a test may pass a fake of just these). */
export type RecordingLinks = Pick<Repository, 'listExpiredRecordings' | 'setCallRecording'>;

export type SweepOptions = {
  repository: RecordingLinks;
  /** Recordings of calls that started more than this many days before `now` are deleted. */
  retentionDays: number;
  /** Wall-clock time of the sweep. */
  now: Date | number;
  /**
   * The recordings folder. When given, a linked path outside it is refused (never deleted), and
   * `.wav` files in it last written before the cutoff are deleted even when no call links them.
   */
  dir?: string;
  /** Rows asked for per query. Default 100. */
  batchSize?: number;
  /** Told about each file that could not be deleted (the link stays, for the next sweep). */
  onError?: (path: string, error: Error) => void;
};

export type SweepResult = {
  /** Linked files deleted. */
  deleted: number;
  /** Links whose file was already gone (not an error). */
  missing: number;
  /** Links cleared (deleted + missing). */
  unlinked: number;
  /** Files that could not be deleted, or were refused for lying outside `dir`. */
  failed: number;
  /** Unlinked files in `dir` older than the cutoff, deleted. */
  strayDeleted: number;
};

const DAY_MS = 24 * 60 * 60 * 1000;

function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export async function sweepRecordings(options: SweepOptions): Promise<SweepResult> {
  const { repository, retentionDays, dir } = options;
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new RangeError(`retentionDays must be a positive number, got ${retentionDays}`);
  }
  const now = typeof options.now === 'number' ? options.now : options.now.getTime();
  if (!Number.isFinite(now)) throw new RangeError('now is not a valid time');
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const cutoff = now - retentionDays * DAY_MS;
  const before = new Date(cutoff).toISOString();
  const result: SweepResult = { deleted: 0, missing: 0, unlinked: 0, failed: 0, strayDeleted: 0 };
  const report = (path: string, error: Error) => {
    result.failed++;
    options.onError?.(path, error);
  };

  // Rows whose file could not be deleted keep their link and come back first in every batch: ask
  // for that many more each time so they cannot starve the rest, and stop once a batch holds
  // nothing new, so they cannot loop the sweep either.
  const tried = new Set<string>();
  let stuck = 0;
  for (;;) {
    const rows = await repository.listExpiredRecordings(before, stuck + batchSize);
    const fresh = rows.filter((row) => !tried.has(`${row.tenantId}/${row.callId}`));
    if (fresh.length === 0) break;
    for (const row of fresh) {
      tried.add(`${row.tenantId}/${row.callId}`);
      if (dir !== undefined && !isInside(dir, row.recordingPath)) {
        stuck++;
        report(row.recordingPath, new Error(`recording path is outside ${resolve(dir)}; not deleted`));
        continue;
      }
      try {
        await rm(row.recordingPath);
        result.deleted++;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') {
          stuck++;
          report(row.recordingPath, err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        result.missing++;
      }
      await repository.setCallRecording(row.tenantId, row.callId, null);
      result.unlinked++;
    }
  }

  if (dir !== undefined) result.strayDeleted = await sweepStrayFiles(dir, cutoff, report);
  return result;
}

/**
 * Deletes `<dir>/<tenant>/*.wav` last written before `cutoff`. A recording is written until its
 * call ends, so such a file belongs to a call that started before the cutoff: expired either way.
 */
async function sweepStrayFiles(dir: string, cutoff: number, report: (path: string, error: Error) => void): Promise<number> {
  let deleted = 0;
  const tenants = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  });
  for (const tenant of tenants) {
    if (!tenant.isDirectory()) continue;
    const folder = join(dir, tenant.name);
    const files = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const file of files) {
      if (!file.isFile() || !file.name.endsWith('.wav')) continue;
      const path = join(folder, file.name);
      try {
        if ((await stat(path)).mtimeMs >= cutoff) continue;
        await rm(path);
        deleted++;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') report(path, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
  return deleted;
}
