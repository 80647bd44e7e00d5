// `npm start`: install what is missing, build, and serve Parley with the offline defaults.
import { spawn } from 'node:child_process';
import { build, buildNative, ensureDebianPackages, ensureNpmPackages, ensureRuntimePackages } from './ensure-deps.mjs';

ensureNpmPackages();
// The local model runtimes only matter when the user brings a model file.
if (process.env.WHISPER_MODEL_PATH || process.env.LLM_MODEL_PATH) ensureRuntimePackages();
const missing = ensureDebianPackages();
if (missing.length) console.log(`[parley] starting without: ${missing.join(', ')}`);
buildNative();
build();
const child = spawn(process.execPath, ['dist/src/main.js', ...process.argv.slice(2)], {
  cwd: new URL('..', import.meta.url).pathname,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
