// The opt-in local model runtimes (the whisper.cpp and llama.cpp bindings) are a package of their
// own in `<repo>/runtimes`, installed only when a local engine is wanted, so they are not in the
// root node_modules and a plain import would not find them. This finds that folder from this
// file's place (src/ under tsx and vitest, dist/src/ after the build) and loads them from there.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The command that installs the runtimes, as a person would type it in the repository. */
export const RUNTIMES_INSTALL_COMMAND = '(cd runtimes && npm install --omit=optional)';

export class LocalRuntimeMissingError extends Error {
  constructor(
    readonly packageName: string,
    readonly runtimesDir: string,
    detail: string,
  ) {
    super(
      `the local model runtime ${packageName} is not installed in ${runtimesDir} (${detail}); ` +
        `install it with \`${RUNTIMES_INSTALL_COMMAND}\` in the Parley folder ` +
        `(npm start does this when WHISPER_MODEL_PATH or LLM_MODEL_PATH is set)`,
    );
    this.name = 'LocalRuntimeMissingError';
  }
}

/** `<repo>/runtimes`: the nearest ancestor of this file that holds `runtimes/package.json`. */
export function runtimesDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'runtimes');
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new LocalRuntimeMissingError('(any)', join(from, 'runtimes'), 'no runtimes/package.json above this module');
    dir = up;
  }
}

/** The file Node would load for `packageName` from the runtimes folder (its CommonJS entry). */
export function resolveRuntimePackage(packageName: string, dir: string = runtimesDir()): string {
  try {
    return createRequire(join(dir, 'package.json')).resolve(packageName);
  } catch (err) {
    throw new LocalRuntimeMissingError(packageName, dir, (err as Error).message.split('\n')[0]);
  }
}

/** Loads an ES module entry of a runtime package (node-llama-cpp is ESM-only and exports no CJS). */
export async function importRuntimeModule<T>(packageName: string, entry: string, dir: string = runtimesDir()): Promise<T> {
  const file = join(dir, 'node_modules', ...packageName.split('/'), entry);
  if (!existsSync(file)) throw new LocalRuntimeMissingError(packageName, dir, `${file} does not exist`);
  try {
    return (await import(pathToFileURL(file).href)) as T;
  } catch (err) {
    throw new LocalRuntimeMissingError(packageName, dir, `loading ${file} failed: ${(err as Error).message.split('\n')[0]}`);
  }
}
