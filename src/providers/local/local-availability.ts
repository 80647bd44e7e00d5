// Which of the engines that run on this machine can run here: the Debian packages of the offline
// stack may be missing (a non-root `npm start` cannot install them). Checked once at startup, so
// Parley starts with what it has and says what is missing and how to install it.
import { resolveBinary, missingInstallParts, DEFAULT_BINARY, DEFAULT_DICT_PATH, DEFAULT_HMM_DIR, DEFAULT_LM_PATH } from './pocketsphinx-install.js';

export type UnavailableEngine = {
  kind: 'stt' | 'tts';
  engine: string;
  /** What is missing, in a sentence. */
  reason: string;
  /** The command that installs it. */
  install: string;
};

export type LocalEngineProbe = {
  /** PATH to search for binaries (default the process's). */
  path?: string;
  pocketsphinx?: { binary?: string; hmmDir?: string; lmPath?: string; dictPath?: string };
  espeakBinary?: string;
};

/** The local engines named in `engines` that cannot run on this machine, with what to install. */
export function unavailableLocalEngines(engines: { stt: readonly string[]; tts: readonly string[] }, probe: LocalEngineProbe = {}): UnavailableEngine[] {
  const out: UnavailableEngine[] = [];
  if (engines.stt.includes('pocketsphinx')) {
    const p = probe.pocketsphinx ?? {};
    const binary = p.binary ?? DEFAULT_BINARY;
    const problems = missingInstallParts({ binary, hmmDir: p.hmmDir ?? DEFAULT_HMM_DIR, lmPath: p.lmPath ?? DEFAULT_LM_PATH, dictPath: p.dictPath ?? DEFAULT_DICT_PATH }, true, probe.path);
    if (problems.length) out.push({ kind: 'stt', engine: 'pocketsphinx', reason: problems.join('; '), install: aptInstall('pocketsphinx', 'pocketsphinx-en-us') });
  }
  if (engines.tts.includes('espeak')) {
    const binary = probe.espeakBinary ?? 'espeak-ng';
    if (!resolveBinary(binary, probe.path)) out.push({ kind: 'tts', engine: 'espeak', reason: `espeak-ng binary \`${binary}\` not found on PATH`, install: aptInstall('espeak-ng') });
  }
  return out;
}

/** The chain without the engines that cannot run, unless that would leave nothing (then the error shows on use). */
export function usableChain<T extends string>(chain: readonly T[], unavailable: readonly UnavailableEngine[]): T[] {
  const left = chain.filter((name) => !unavailable.some((u) => u.engine === name));
  return left.length > 0 ? left : [...chain];
}

function aptInstall(...packages: string[]): string {
  const cmd = `apt-get install -y ${packages.join(' ')}`;
  return process.getuid?.() === 0 ? cmd : `sudo ${cmd}`;
}

