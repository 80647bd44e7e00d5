// Finding the decoder binary and the model files, with errors that say what to install.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ProviderError } from '../provider-error.js';

export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
export const DEFAULT_HMM_DIR = `${DEFAULT_MODEL_DIR}/en-us`;
export const DEFAULT_LM_PATH = `${DEFAULT_MODEL_DIR}/en-us.lm.bin`;
export const DEFAULT_DICT_PATH = `${DEFAULT_MODEL_DIR}/cmudict-en-us.dict`;
export const DEFAULT_BINARY = 'pocketsphinx_continuous';
export const INSTALL_HINT = 'install it with `apt-get install pocketsphinx pocketsphinx-en-us`';

/** Files of a Sphinx acoustic model directory the decoder cannot start without. */
const HMM_FILES = ['mdef', 'means', 'variances', 'transition_matrices'];

export type PocketsphinxPaths = { binary: string; hmmDir: string; lmPath: string; dictPath: string };

/** The binary's full path: as given when it has a slash, else the first match on PATH. */
export function resolveBinary(binary: string, path = process.env.PATH ?? ''): string | null {
  const candidates = binary.includes('/') ? [binary] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this one.
    }
  }
  return null;
}

/**
 * What is missing, as one sentence per problem naming the path; empty when everything is there.
 * `needLm` is false when a domain restriction replaces the general language model.
 */
export function missingInstallParts(paths: PocketsphinxPaths, needLm = true, searchPath?: string): string[] {
  const problems: string[] = [];
  if (!resolveBinary(paths.binary, searchPath)) problems.push(`decoder binary \`${paths.binary}\` not found${paths.binary.includes('/') ? '' : ' on PATH'}`);
  if (!existsSync(paths.hmmDir)) problems.push(`acoustic model directory ${paths.hmmDir} not found`);
  else {
    const missing = HMM_FILES.filter((f) => !existsSync(join(paths.hmmDir, f)));
    if (missing.length > 0) problems.push(`acoustic model directory ${paths.hmmDir} lacks ${missing.join(', ')}`);
  }
  if (needLm && !existsSync(paths.lmPath)) problems.push(`language model ${paths.lmPath} not found`);
  if (!existsSync(paths.dictPath)) problems.push(`pronunciation dictionary ${paths.dictPath} not found`);
  return problems;
}

/** Throws a ProviderError (kind bad_request, code `not_installed`) listing every missing part. */
export function assertInstalled(paths: PocketsphinxPaths, needLm = true): void {
  const problems = missingInstallParts(paths, needLm);
  if (problems.length === 0) return;
  throw new ProviderError('pocketsphinx', 'bad_request', `${problems.join('; ')}: ${INSTALL_HINT}`, { code: 'not_installed' });
}
