// Where a call's recording lives: <dir>/<tenant>/<call>.wav, with ids restricted to safe names.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Raised for a tenant or call id that cannot be used as a file name. */
export class RecordingPathError extends Error {
  override readonly name = 'RecordingPathError';
}

const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

function checkName(kind: string, value: string): void {
  if (typeof value !== 'string' || !SAFE_NAME.test(value)) {
    throw new RecordingPathError(
      `${kind} ${JSON.stringify(value)} cannot name a recording: use 1-128 of A-Z a-z 0-9 _ -`,
    );
  }
}

/**
 * The absolute path of a call's recording. Ids are rejected, never escaped, so two ids can never
 * share a file and no id can climb out of `dir`.
 */
export function recordingPath(dir: string, tenantId: string, callId: string): string {
  if (typeof dir !== 'string' || dir === '') throw new RecordingPathError('recording dir is empty');
  checkName('tenant id', tenantId);
  checkName('call id', callId);
  return resolve(join(dir, tenantId, `${callId}.wav`));
}

/** Like `recordingPath`, and creates the tenant's folder (mkdir -p). */
export async function prepareRecordingPath(dir: string, tenantId: string, callId: string): Promise<string> {
  const path = recordingPath(dir, tenantId, callId);
  await mkdir(resolve(dir, tenantId), { recursive: true });
  return path;
}
