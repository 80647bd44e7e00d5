// Builds a Parley in this process with every provider, the VAD and the clock wrapped in timing
// decorators, listening on loopback, with a ServerProbe attached.
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../../src/providers/simulated/index.js';
import { createVad } from '../../src/vad/create-vad.js';
import { benchConfig, LATENCIES, scriptLine } from './bench-config.js';
import { ProbedVad } from './probed-vad.js';
import { ServerProbe } from './server-probe.js';
import { TimedLlm, TimedStt, TimedTts } from './timed-providers.js';
import { TimingClock } from './timing-clock.js';

export type InstrumentedParley = {
  parley: Parley;
  url: string;
  probe: ServerProbe;
  vad: ProbedVad;
  /** Why Silero was not used, or null when it was. */
  vadFallback: string | null;
  close(): Promise<void>;
};

export async function startInstrumentedParley(): Promise<InstrumentedParley> {
  const config = benchConfig('silero');
  const log = createLogger('warn');
  const clock = new TimingClock(systemClock);
  let fallbackReason: string | null = null;
  const inner = await createVad({
    prefer: 'silero',
    logger: { warn: (obj, msg) => (fallbackReason = `${msg} ${JSON.stringify(obj)}`) },
  });
  const vad = new ProbedVad(inner, clock);
  const stt = new TimedStt(new SimulatedStt({ clock, script: scriptLine, finalDelayMs: LATENCIES.sttFinalDelayMs }), clock);
  const llm = new TimedLlm(new SimulatedLlm({ clock, ttftMs: LATENCIES.llmTtftMs, tokensPerSecond: LATENCIES.llmTokensPerSecond }), clock);
  const tts = new TimedTts(new SimulatedTts({ clock, ttfbMs: LATENCIES.ttsTtfbMs, realtimeFactor: LATENCIES.ttsRealtimeFactor }), clock);
  const parley = await createParley(config, { clock, log, vad, stt, llm, tts });
  const probe = new ServerProbe(parley, { clock, vad, stt, llm, tts });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = parley.app.server.address() as AddressInfo;
  return {
    parley,
    url: `ws://127.0.0.1:${port}/ws/voice`,
    probe,
    vad,
    vadFallback: inner.kind === 'silero' ? null : (fallbackReason ?? 'Silero VAD did not load'),
    close: () => parley.close('bench finished'),
  };
}
