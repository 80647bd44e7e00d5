// The retention sweep against a real store (SQLite) and real files: expired recordings go, their
// links are cleared, recent ones stay; a missing file is no error; stray old files in the folder
// go too; a file outside the folder or one that cannot be deleted is reported, not looped on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMigratedStore, type Store } from '../../src/store/open-store.js';
import { sweepRecordings, type RecordingLinks } from '../../src/recording/recording-sweep.js';
import { recordingPath } from '../../src/recording/recording-path.js';
import { seedTenant } from '../store/fixtures.js';
import { tempDir } from './recording-fixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 5, 1, 12);

let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(async () => {
  tmp = tempDir();
  store = await openMigratedStore({ sqlitePath: ':memory:' });
});
afterEach(async () => {
  await store.close();
  tmp.remove();
});

/** A call that started `daysAgo` days before NOW, with a recording file (unless `noFile`). */
async function recordedCall(tenantId: string, agentId: string, callId: string, daysAgo: number, noFile = false): Promise<string> {
  await store.repository.createCall(tenantId, {
    id: callId,
    agentId,
    agentVersion: 1,
    transport: 'websocket',
    startedAt: new Date(NOW - daysAgo * DAY).toISOString(),
  });
  const path = recordingPath(tmp.dir, tenantId, callId);
  if (!noFile) {
    mkdirSync(join(tmp.dir, tenantId), { recursive: true });
    writeFileSync(path, 'RIFF');
  }
  expect(await store.repository.setCallRecording(tenantId, callId, path)).toBe(true);
  return path;
}

describe('sweepRecordings', () => {
  it('deletes expired recordings only, clears their links, and takes a missing file in its stride', async () => {
    const a = await seedTenant(store.repository, 'acme');
    const b = await seedTenant(store.repository, 'globex');
    const oldA = await recordedCall('acme', a.agentId, 'old-a', 45);
    const oldB = await recordedCall('globex', b.agentId, 'old-b', 31);
    const gone = await recordedCall('acme', a.agentId, 'gone', 40, true);
    const recent = await recordedCall('acme', a.agentId, 'recent', 29);
    // A stray file nobody links (a crash mid-call), last written 60 days ago, and a fresh one.
    const stray = recordingPath(tmp.dir, 'globex', 'crashed');
    writeFileSync(stray, 'RIFF');
    utimesSync(stray, new Date(NOW - 60 * DAY), new Date(NOW - 60 * DAY));
    const fresh = recordingPath(tmp.dir, 'globex', 'in-progress');
    writeFileSync(fresh, 'RIFF');
    utimesSync(fresh, new Date(NOW - DAY), new Date(NOW - DAY));
    for (const p of [oldA, oldB]) utimesSync(p, new Date(NOW - 31 * DAY), new Date(NOW - 31 * DAY));

    const result = await sweepRecordings({ repository: store.repository, retentionDays: 30, now: new Date(NOW), dir: tmp.dir, batchSize: 2 });
    expect(result).toEqual({ deleted: 2, missing: 1, unlinked: 3, failed: 0, strayDeleted: 1 });
    expect(existsSync(oldA)).toBe(false);
    expect(existsSync(oldB)).toBe(false);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect((await store.repository.getCallRow('acme', 'old-a'))?.recordingPath).toBeNull();
    expect((await store.repository.getCallRow('globex', 'old-b'))?.recordingPath).toBeNull();
    expect((await store.repository.getCallRow('acme', 'gone'))?.recordingPath).toBeNull();
    expect((await store.repository.getCallRow('acme', 'recent'))?.recordingPath).toBe(recent);

    // Nothing is left to do the second time.
    const again = await sweepRecordings({ repository: store.repository, retentionDays: 30, now: NOW, dir: tmp.dir });
    expect(again).toEqual({ deleted: 0, missing: 0, unlinked: 0, failed: 0, strayDeleted: 0 });
  });

  it('refuses a linked path outside the folder, reports files it cannot delete, and stops', async () => {
    const outside = join(tmp.dir, 'elsewhere.wav');
    writeFileSync(outside, 'keep me');
    const inside = join(tmp.dir, 'acme', 'ok.wav');
    mkdirSync(join(tmp.dir, 'acme'));
    writeFileSync(inside, 'RIFF');
    // A directory where a file is expected: rm fails (not ENOENT) every time.
    const stuck = join(tmp.dir, 'acme', 'stuck.wav');
    mkdirSync(stuck);
    const links = new Map<string, string | null>([
      ['acme/out', outside],
      ['acme/stuck', stuck],
      ['acme/ok', inside],
    ]);
    let queries = 0;
    const repository: RecordingLinks = {
      async listExpiredRecordings(_before, limit) {
        queries++;
        return [...links]
          .filter((entry): entry is [string, string] => entry[1] !== null)
          .slice(0, limit)
          .map(([key, recordingPath]) => ({ tenantId: key.split('/')[0], callId: key.split('/')[1], recordingPath }));
      },
      async setCallRecording(tenantId, callId, path) {
        links.set(`${tenantId}/${callId}`, path);
        return true;
      },
    };
    const errors: string[] = [];
    const result = await sweepRecordings({
      repository,
      retentionDays: 7,
      now: NOW,
      dir: join(tmp.dir, 'acme', '..', 'acme'),
      batchSize: 2,
      onError: (path) => errors.push(path),
    });
    expect(result).toMatchObject({ deleted: 1, unlinked: 1, failed: 2 });
    expect(errors.sort()).toEqual([outside, stuck].sort());
    expect(existsSync(outside)).toBe(true);
    expect(existsSync(inside)).toBe(false);
    expect(links.get('acme/out')).toBe(outside);
    expect(links.get('acme/ok')).toBeNull();
    expect(queries).toBeLessThanOrEqual(3);
  });

  it('rejects a retention that is not a positive number of days', async () => {
    const repository = store.repository;
    await expect(sweepRecordings({ repository, retentionDays: 0, now: NOW })).rejects.toThrow(/retentionDays/);
    await expect(sweepRecordings({ repository, retentionDays: Number.NaN, now: NOW })).rejects.toThrow(/retentionDays/);
  });
});
