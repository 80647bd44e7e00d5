// Generated decoder files (language models, dictionaries, grammars, feature parameters) live in one
// directory under the system temp dir, named by a hash of their content: every provider and
// process with the same domain shares one copy, and nothing needs cleaning per call.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function cacheDirectory(): string {
  return join(tmpdir(), 'parley-pocketsphinx-cache');
}

/** Writes content once under a name derived from it; concurrent writers rename atomically. */
export function cachedFile(extension: string, content: string): string {
  const dir = cacheDirectory();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${createHash('sha256').update(content).digest('hex').slice(0, 24)}.${extension}`);
  if (!existsSync(path)) {
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  }
  return path;
}
