// `npm run bench [-- --quick] [steps...]`: prints Parley's performance figures and writes them to
// .bench-out/latest.json. Steps: overhead bargein capacity resampler vad offline sip (default: all;
// `npm run bench -- offline` runs the offline-stack step alone).
// Options: --quick (short run: < 2 min, plus about 2 min for the offline step), --capacity-steps=25,50,... --hold=SECONDS (capacity hold),
// --render-tts (capacity: the simulated TTS renders every waveform in the server, see lib/replay-tts.ts),
// --gen-nice=N (capacity: run the load generator at nice N so it preempts the server less),
// --offline-levels=2,4,... (offline: numbers of concurrent calls to try after the single call),
// --sip-levels=50,100,... (sip: numbers of concurrent SIP calls to hold).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/main.js';
import { describeSetup } from './lib/bench-config.js';
import { buildCorpus, CLEAN_LEAD_IN_DBFS } from './lib/speech-corpus.js';
import { summaryMarkdown } from './lib/summary.js';
import { banner } from './lib/table.js';
import { benchBargeIn, type BargeInResult } from './steps/bargein.js';
import { benchCapacity, type CapacityResult } from './steps/capacity.js';
import { runResamplerBench, runVadBench } from './steps/micro.js';
import { benchOverhead, type OverheadResult } from './steps/overhead.js';
import { benchOffline, type OfflineResult } from './steps/offline.js';
import { offlineSummaryMarkdown } from './lib/offline-summary.js';
import { benchSip, type SipResult } from './steps/sip.js';

const STEPS = ['overhead', 'bargein', 'capacity', 'resampler', 'vad', 'offline', 'sip'] as const;
type Step = (typeof STEPS)[number];

type Args = {
  quick: boolean;
  steps: Step[];
  capacitySteps: number[] | null;
  holdS: number | null;
  renderTts: boolean;
  generatorNice: number;
  offlineLevels: number[] | null;
  sipLevels: number[] | null;
};

function parseArgs(argv: string[]): Args {
  let quick = false;
  let renderTts = false;
  let generatorNice = 0;
  let capacitySteps: number[] | null = null;
  let holdS: number | null = null;
  let offlineLevels: number[] | null = null;
  let sipLevels: number[] | null = null;
  const steps: Step[] = [];
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--render-tts') renderTts = true;
    else if (arg.startsWith('--gen-nice=')) generatorNice = Number(arg.slice(11));
    else if (arg.startsWith('--capacity-steps=')) capacitySteps = arg.slice(17).split(',').map(Number).filter((n) => n > 0);
    else if (arg.startsWith('--hold=')) holdS = Number(arg.slice(7));
    else if (arg.startsWith('--offline-levels=')) offlineLevels = arg.slice(17).split(',').map(Number).filter((n) => n > 0);
    else if (arg.startsWith('--sip-levels=')) sipLevels = arg.slice(13).split(',').map(Number).filter((n) => n > 0);
    else if ((STEPS as readonly string[]).includes(arg)) steps.push(arg as Step);
    else {
      console.error(`unknown argument "${arg}"; steps: ${STEPS.join(' ')}; options: --quick --capacity-steps=25,50 --hold=30 --render-tts --gen-nice=10 --offline-levels=2,4 --sip-levels=50,100`);
      process.exit(2);
    }
  }
  return { quick, steps: steps.length ? steps : [...STEPS], capacitySteps, holdS, renderTts, generatorNice, offlineLevels, sipLevels };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = packageRoot();
  const outDir = join(root, '.bench-out');
  mkdirSync(outDir, { recursive: true });
  const log = (s: string) => console.log(s);
  const date = new Date().toISOString();
  const started = performance.now();
  log(`Parley bench ${args.quick ? '(quick)' : '(full)'} — ${date}`);
  log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; steps: ${args.steps.join(', ')}`);
  // The offline step runs the real engines; the simulated providers' setup concerns the others.
  if (args.steps.some((s) => s !== 'offline')) log(describeSetup());
  log('Timings on a shared 2-core machine are noisy: figures are medians/percentiles of this one run.');

  const corpus = buildCorpus();
  const unclear = corpus.filter((u) => u.leadInPeakDbfs > CLEAN_LEAD_IN_DBFS);
  if (unclear.length) log(`warning: speech onset ambiguous (sound before the words) in: ${unclear.map((u) => u.text).join(' | ')}`);

  const results: {
    overhead?: OverheadResult;
    bargein?: BargeInResult;
    capacity?: CapacityResult;
    resampler?: Record<string, number>;
    vad?: Record<string, number> | { skipped: string };
    offline?: OfflineResult;
    sip?: SipResult;
  } = {};
  const errors: Record<string, string> = {};
  for (const step of args.steps) {
    try {
      if (step === 'overhead') {
        results.overhead = await benchOverhead({ corpus, sessions: args.quick ? 2 : 4, cycles: args.quick ? 4 : 12, log });
      } else if (step === 'bargein') {
        results.bargein = await benchBargeIn({ corpus, sessions: args.quick ? 2 : 4, cycles: args.quick ? 4 : 9, log });
      } else if (step === 'capacity') {
        results.capacity = await benchCapacity({
          root,
          outDir,
          corpus,
          steps: args.capacitySteps ?? (args.quick ? [100, 300] : [25, 50, 100, 150, 200, 300, 400, 500, 600]),
          warmupS: args.quick ? 3 : 6,
          holdS: args.holdS ?? (args.quick ? 6 : 30),
          renderTts: args.renderTts,
          generatorNice: args.generatorNice,
          log,
        });
      } else if (step === 'offline') {
        results.offline = await benchOffline({
          root,
          outDir,
          levels: args.offlineLevels ?? (args.quick ? [4] : [2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96]),
          single: args.quick ? 6 : Number.POSITIVE_INFINITY,
          perCall: args.quick ? 2 : 6,
          log,
        });
      } else if (step === 'sip') {
        results.sip = await benchSip({
          root,
          outDir,
          corpus,
          levels: args.sipLevels ?? (args.quick ? [25, 50] : [40, 50, 60, 70, 80, 100]),
          holdS: args.holdS ?? (args.quick ? 8 : 20),
          log,
        });
      } else if (step === 'resampler') {
        results.resampler = await runResamplerBench(log);
      } else {
        results.vad = await runVadBench(root, log);
      }
    } catch (err) {
      errors[step] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`\n!!! step ${step} failed: ${errors[step]}`);
    }
  }

  const simulated = results.overhead || results.bargein || results.capacity ? summaryMarkdown({ ...results, quick: args.quick, date }) : null;
  const summary = [simulated, results.offline ? offlineSummaryMarkdown(results.offline) : null]
    .filter((block) => block !== null)
    .join('\n\n');
  log(banner('Summary (Markdown, for the README)'));
  log(summary);
  const file = join(outDir, 'latest.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        date,
        quick: args.quick,
        steps: args.steps,
        machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, node: process.version },
        setup: describeSetup(),
        duration_s: Math.round((performance.now() - started) / 1000),
        results,
        errors,
        summary_markdown: summary,
      },
      null,
      2,
    ),
  );
  log(`\nwrote ${file} (${Math.round((performance.now() - started) / 1000)} s)`);
  // Worker threads or sockets left by a failed step must not keep the bench alive.
  process.exit(Object.keys(errors).length ? 1 : 0);
}

void main();
