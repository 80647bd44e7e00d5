// `npm test`: install what is missing, then lint, typecheck and the whole test suite.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { buildNative, ensureDebianPackages, ensureNpmPackages, ensureRuntimePackages } from './ensure-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
ensureNpmPackages();
ensureRuntimePackages();
ensureDebianPackages({ required: true, forTests: true });
buildNative();

function run(name, cmd, args) {
  console.log(`\n[parley] ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[parley] ${name} failed`);
    process.exit(r.status ?? 1);
  }
}

run('lint', 'npx', ['eslint', '.']);
run('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
const results = `${root}.test-results.json`;
rmSync(results, { force: true });
const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${results}`, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
try {
  const j = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = j.numPendingTests + j.numTodoTests;
  console.log(`\ntests: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
} catch {
  console.log('\ntests: 0 passed, 1 failed');
}
process.exit(r.status ?? 1);
