// Recording file names: <dir>/<tenant>/<call>.wav from safe ids only; the folder is created.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RecordingPathError, prepareRecordingPath, recordingPath } from '../../src/recording/recording-path.js';
import { tempDir } from './recording-fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

describe('recordingPath', () => {
  it('names <dir>/<tenant>/<call>.wav, absolute', () => {
    expect(recordingPath('data/recordings', 'acme_1', '6f1c2e9a-0b7d-4c1e-9f3a-2d5b8c7e1a40')).toBe(
      resolve('data/recordings/acme_1/6f1c2e9a-0b7d-4c1e-9f3a-2d5b8c7e1a40.wav'),
    );
  });

  it.each(['', '..', '../etc', 'a/b', 'a\\b', 'call.wav', 'tab\there', 'é', 'x'.repeat(129), 'nul\0'])(
    'rejects the id %j rather than escaping it',
    (bad) => {
      expect(() => recordingPath(tmp.dir, bad, 'call')).toThrow(RecordingPathError);
      expect(() => recordingPath(tmp.dir, 'acme', bad)).toThrow(/call id .* cannot name a recording/);
    },
  );

  it('creates the tenant folder (mkdir -p) and returns the path', async () => {
    const dir = join(tmp.dir, 'deep', 'recordings');
    const path = await prepareRecordingPath(dir, 'acme', 'call-1');
    expect(path).toBe(resolve(dir, 'acme', 'call-1.wav'));
    expect(statSync(join(dir, 'acme')).isDirectory()).toBe(true);
    expect(existsSync(path)).toBe(false);
    // Twice is fine.
    await prepareRecordingPath(dir, 'acme', 'call-2');
  });
});
