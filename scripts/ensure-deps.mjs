// Installs what a fresh clone is missing: npm packages, and the Debian packages Parley uses
// (apt-get when running as root; otherwise the exact command is printed and we go on).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/** command (or an absolute path the package installs) -> Debian package, for running Parley. */
export const DEBIAN_PACKAGES = {
  'espeak-ng': 'espeak-ng',
  flite: 'flite',
  sox: 'sox',
  pocketsphinx_continuous: 'pocketsphinx',
  '/usr/share/pocketsphinx/model/en-us/en-us': 'pocketsphinx-en-us',
};

/** Extra ones the test suite uses (a real browser for the page test). */
export const TEST_DEBIAN_PACKAGES = {
  chromium: 'chromium',
};

function has(cmd) {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function npmInstall(dir, what, extra = []) {
  const lock = `${dir}package-lock.json`;
  const marker = `${dir}node_modules/.package-lock.json`;
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
  if (!stale) return;
  console.log(`[parley] installing ${what}…`);
  // `npm install` (not `npm ci`): it follows the lock file too, and npm 11 rejects `ci` on locks
  // that omit other platforms' optional packages (e.g. rollup's), which this lock legitimately does.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', ...extra], { cwd: dir, stdio: 'inherit' });
}

export function ensureNpmPackages() {
  npmInstall(root, 'npm packages');
}

/**
 * The opt-in local model runtimes (whisper.cpp, llama.cpp bindings) live in `runtimes/`, installed
 * with --omit=optional: only the CPU build for linux-x64 that package.json names, not the CUDA and
 * Vulkan builds (~600 MB) node-llama-cpp lists as optional. Their install scripts do not run.
 */
export function ensureRuntimePackages() {
  npmInstall(`${root}runtimes/`, 'local model runtimes (whisper.cpp, llama.cpp)', ['--omit=optional']);
}

export function ensureDebianPackages({ required = false, forTests = false } = {}) {
  const wanted = forTests ? { ...DEBIAN_PACKAGES, ...TEST_DEBIAN_PACKAGES } : DEBIAN_PACKAGES;
  const missing = Object.entries(wanted).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  if (missing.length === 0) return [];
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid && process.getuid() === 0 && has('apt-get')) {
    console.log(`[parley] installing Debian packages: ${missing.join(' ')}`);
    const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
    if (r.status === 0) return [];
    console.error(`[parley] apt-get failed (exit ${r.status})`);
  } else {
    console.log(`[parley] missing Debian packages: ${missing.join(' ')}\n[parley] install them with:\n  sudo sh -c '${cmd}'`);
  }
  const still = Object.entries(wanted).filter(([c]) => !has(c)).map(([, p]) => p);
  if (required && still.length) throw new Error(`missing Debian packages: ${still.join(' ')}`);
  return still;
}

export function build() {
  console.log('[parley] building…');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
