// A flow file with a mistake stops `parley` at startup with a message naming the file, the node
// and the field (not at the first call, and without a stack trace); a missing one names the key.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-startup-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function parley(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', PARLEY__APPOINTMENTS__DATABASE: ':memory:', PARLEY__STORE__SQLITE_PATH: ':memory:', PARLEY__STORE__WRITE_QUEUE__SPILL_PATH: join(dir, 'spill.jsonl'), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('startup checks of the flow file', () => {
  it('refuses to start on a flow whose transition names an unknown node', () => {
    const file = join(dir, 'broken.yaml');
    const good = readFileSync('flows/receptionist.yaml', 'utf8');
    writeFileSync(file, good.replace('        yes: book_do\n', '        yes: book_it_now\n'));
    const r = parley({ PARLEY__AGENT__FLOW: file });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`parley: invalid flow ${file}`);
    expect(r.stderr).toContain('book_confirm');
    expect(r.stderr).toContain('book_it_now');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to start when the flow file cannot be read, naming the key', () => {
    const r = parley({ PARLEY__AGENT__FLOW: join(dir, 'missing.yaml') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/parley: agent "assistant": cannot read the flow file .*missing\.yaml \(agent\.flow\): ENOENT/);
  });
});
