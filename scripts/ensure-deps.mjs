// Installs what a fresh clone is missing: npm packages, and the Debian packages Parley uses
// (apt-get when running as root; otherwise the exact command is printed and we go on).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/** command (or an absolute path the package installs) -> Debian package, for running Parley. */
export const DEBIAN_PACKAGES = {
  'espeak-ng': 'espeak-ng',
  flite: 'flite',
  sox: 'sox',
  pocketsphinx_continuous: 'pocketsphinx',
  '/usr/share/pocketsphinx/model/en-us/en-us': 'pocketsphinx-en-us',
  // Headers for the streaming decoder buildNative() compiles (partial results); sphinxbase's are
  // under the multiarch include directory.
  '/usr/include/pocketsphinx/pocketsphinx.h': 'libpocketsphinx-dev',
  [`/usr/include/${{ x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch}-linux-gnu/sphinxbase/cmd_ln.h`]: 'libsphinxbase-dev',
};

/** Extra ones the test suite uses (a real browser for the page test, real SIP peers). */
export const TEST_DEBIAN_PACKAGES = {
  chromium: 'chromium',
  // Real SIP peers for the telephony tests: a softphone and a signalling/load generator.
  baresip: 'baresip',
  sipp: 'sip-tester',
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

/**
 * Compiles the hand-written streaming pocketsphinx decoder (native/pocketsphinx-stream.c) into
 * build/native/pocketsphinx-stream when it is missing or older than its source. Without a C
 * compiler or the pocketsphinx headers it says so and goes on: the STT provider then falls back
 * to pocketsphinx_continuous, which gives no partial results. Returns the binary's path or null.
 */
export function buildNative() {
  const source = `${root}native/pocketsphinx-stream.c`;
  const output = `${root}build/native/pocketsphinx-stream`;
  if (!existsSync(source)) return null;
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) return output;
  if (!has('cc') || !has('pkg-config')) {
    console.log('[parley] no C compiler (cc) or pkg-config: pocketsphinx runs without partial results');
    return null;
  }
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'pocketsphinx', 'sphinxbase'], { encoding: 'utf8' });
  if (flags.status !== 0) {
    console.log('[parley] pocketsphinx headers missing (libpocketsphinx-dev, libsphinxbase-dev): pocketsphinx runs without partial results');
    return null;
  }
  console.log('[parley] compiling the streaming pocketsphinx decoder (build/native/pocketsphinx-stream)…');
  mkdirSync(`${root}build/native`, { recursive: true });
  const args = ['-O2', '-Wall', '-o', `${output}.tmp`, source, ...flags.stdout.trim().split(/\s+/)];
  const cc = spawnSync('cc', args, { stdio: 'inherit' });
  if (cc.status !== 0) {
    console.log(`[parley] compiling native/pocketsphinx-stream.c failed (exit ${cc.status}): pocketsphinx runs without partial results`);
    return null;
  }
  // Renamed into place so a running server never sees a half-written binary.
  renameSync(`${output}.tmp`, output);
  return output;
}
