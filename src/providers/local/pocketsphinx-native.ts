// Where the streaming decoder is: `scripts/ensure-deps.mjs` (buildNative, run by `npm start` and
// `npm test`) compiles native/pocketsphinx-stream.c into `<repo>/build/native/pocketsphinx-stream`.
// The repository is found from this file's place, so this works from src/ (tsx, vitest) and from
// dist/src/ (the build) alike.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NATIVE_DECODER_PATH = join('build', 'native', 'pocketsphinx-stream');

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The streaming decoder in the nearest ancestor of `from` that has one, or null when none was built. */
export function findNativeDecoder(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = from;
  for (;;) {
    const candidate = join(dir, NATIVE_DECODER_PATH);
    if (isExecutableFile(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
