// Step 4: the per-frame micro benchmarks other modules own (resampler, VAD engines), run and
// printed here. The VAD bench is optional: it is loaded only if its file exports benchVad().
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchResampler } from '../resampler.bench.js';
import { banner, table } from '../lib/table.js';

type Figures = Record<string, number>;

function print(log: (s: string) => void, figures: Figures): void {
  log(table(['figure', 'value'], Object.entries(figures).map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toFixed(3)])));
}

export async function runResamplerBench(log: (s: string) => void): Promise<Figures> {
  log(banner('4a. Resampler (median ns per 20 ms frame)'));
  const figures = await benchResampler();
  print(log, figures);
  return figures;
}

export async function runVadBench(root: string, log: (s: string) => void): Promise<Figures | { skipped: string }> {
  log(banner('4b. VAD engines (bench/vad.bench.ts)'));
  const file = join(root, 'bench', 'vad.bench.ts');
  if (!existsSync(file)) {
    const skipped = 'bench/vad.bench.ts does not exist';
    log(`skipped: ${skipped}`);
    return { skipped };
  }
  const mod = (await import(pathToFileURL(file).href)) as { benchVad?: () => Promise<Figures> };
  if (typeof mod.benchVad !== 'function') {
    const skipped = 'bench/vad.bench.ts does not export benchVad()';
    log(`skipped: ${skipped}`);
    return { skipped };
  }
  const figures = await mod.benchVad();
  print(log, figures);
  return figures;
}
