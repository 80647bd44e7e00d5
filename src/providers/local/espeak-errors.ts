// The failures of the espeak-ng command line, as ProviderErrors that tell the user what to do.
import { ProviderError } from '../provider-error.js';

export const ESPEAK_PROVIDER = 'espeak';

const INSTALL_HINT = 'install it with `sudo apt-get install espeak-ng` (Debian/Ubuntu) or set the `binary` option to its path';

/** spawn() failed: the binary is not there (ENOENT) or cannot be run (EACCES). */
export function spawnError(binary: string, err: unknown): ProviderError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    // A configuration problem, not a transient one: retrying cannot help, falling back can.
    return new ProviderError(ESPEAK_PROVIDER, 'bad_request', `espeak-ng binary ${JSON.stringify(binary)} was not found; ${INSTALL_HINT}`, {
      code: 'espeak_missing',
      cause: err,
    });
  }
  if (code === 'EACCES') {
    return new ProviderError(ESPEAK_PROVIDER, 'bad_request', `espeak-ng binary ${JSON.stringify(binary)} is not executable; ${INSTALL_HINT}`, {
      code: 'espeak_not_executable',
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError(ESPEAK_PROVIDER, 'server', `could not start ${JSON.stringify(binary)}: ${message}`, { code: 'espeak_spawn_failed', cause: err });
}

/** The process ended badly (non-zero exit or a signal we did not send). */
export function exitError(binary: string, code: number | null, signal: NodeJS.Signals | null, stderr: string): ProviderError {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const said = stderr.trim() ? `: ${stderr.trim()}` : '';
  // Failures of a working espeak-ng are rare; most come from a broken or partial install (missing data files).
  const hint = 'if this persists, reinstall espeak-ng: `sudo apt-get install --reinstall espeak-ng`';
  return new ProviderError(ESPEAK_PROVIDER, 'server', `${binary} ${how}${said}; ${hint}`, { code: signal ? 'espeak_killed' : 'espeak_exit' });
}
