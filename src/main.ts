#!/usr/bin/env node
// Composition root: the only place that picks concrete classes and wires them together.
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import { systemClock, type Clock } from './clock.js';
import { allAgents, ConfigError, loadConfig, resolveChains, type AgentConfig, type Config } from './config.js';
import { VENDOR_KEY_ENV, type ProviderChains, type SttEngine, type TtsEngine } from './config-providers.js';
import { Metrics } from './metrics/metrics.js';
import { AppointmentStore } from './appointments/appointment-store.js';
import { registerAppointmentTools } from './appointments/appointment-tools.js';
import { FlowLlm, FlowValidationError, parseFlow, type Flow } from './flows/index.js';
import { followFlow } from './flows/flow-follower.js';
import { withAvailableEngines } from './engine-availability.js';
import type { LocalEngineProbe } from './providers/local/local-availability.js';
import { EspeakTts } from './providers/local/espeak-tts.js';
import { PocketsphinxStt } from './providers/local/pocketsphinx-stt.js';
import { LlamaLlm } from './providers/local/llama-llm.js';
import { WhisperStt } from './providers/local/whisper-stt.js';
import { bookingDomainPhrases } from './providers/local/pocketsphinx-booking-domain.js';
import { CartesiaTts } from './providers/cartesia/cartesia-tts.js';
import { DeepgramStt } from './providers/deepgram/deepgram-stt.js';
import { DeepgramTts } from './providers/deepgram/deepgram-tts.js';
import { ElevenLabsTts } from './providers/elevenlabs/elevenlabs-tts.js';
import { OpenAiLlm } from './providers/openai/openai-llm.js';
import { OpenAiTranscriber } from './providers/openai/openai-transcriber.js';
import { LlmChain, ProviderHealth, ReconnectingStt, TtsChain, type ResilienceReporter } from './resilience/index.js';
import { BudgetLedger, CallUsage, DEFAULT_PRICES, DisplayCurrency, MeteredLlm, MeteredStt, MeteredTts, mergePriceTables, PriceTable, TierSwitchLlm, TierSwitchTts } from './usage/index.js';
import { createLogger, type Logger } from './log.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from './providers/simulated/index.js';
import type { LlmProvider, SttProvider, TtsProvider } from './providers/types.js';
import { PacingStats } from './session/pacing-stats.js';
import { Session } from './session/session.js';
import { SessionRegistry } from './session/session-registry.js';
import { SessionRefusedError, UnknownAgentError } from './transports/browser-ws/voice-connection.js';
import { currentTimeTool } from './tools/builtin-tools.js';
import { ToolRegistry } from './tools/tool-registry.js';
import type { TurnSettings } from './turn/turn-inputs.js';
import { createVad } from './vad/create-vad.js';
import type { Vad } from './vad/vad.js';

export interface ParleyParts {
  clock?: Clock;
  log?: Logger;
  vad?: Vad;
  /** Engines used as they are for every call (tests, benchmarks): no chain, no metering. */
  stt?: SttProvider;
  llm?: LlmProvider;
  tts?: TtsProvider;
  /** Where vendor keys are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Wall-clock ms epoch for budget windows; default Date.now. */
  wallNow?: () => number;
  /** Where to look for the local engines' programs and models (tests); default this machine's. */
  engineProbe?: LocalEngineProbe;
}

export interface Parley {
  app: FastifyInstance;
  pacing: PacingStats;
  registry: SessionRegistry;
  vad: Vad;
  health: ProviderHealth;
  ledger: BudgetLedger;
  close(reason?: string): Promise<void>;
}

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the Parley package root');
    dir = up;
  }
  return dir;
}

/** The concrete engines by name, built once and shared by every call (STT streams are per call). */
class Engines {
  private readonly llms = new Map<string, LlmProvider>();
  private readonly ttss = new Map<string, TtsProvider>();
  private readonly flows = new Map<string, Flow>();
  private readonly recognizers = new Map<string, PocketsphinxStt>();
  private readonly toolsets = new Map<string, ToolRegistry>();
  private appointments: AppointmentStore | null = null;
  /** One whisper model (in one worker thread) shared by every call. */
  private whisper: WhisperStt | null = null;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The tools an agent may call. */
  tools(agent: AgentConfig): ToolRegistry {
    let registry = this.toolsets.get(agent.name);
    if (!registry) {
      registry = new ToolRegistry();
      if (agent.tools.includes('time')) registry.register(currentTimeTool);
      if (agent.tools.includes('appointments')) registerAppointmentTools(registry, this.appointmentStore());
      this.toolsets.set(agent.name, registry);
    }
    return registry;
  }

  private appointmentStore(): AppointmentStore {
    if (!this.appointments) {
      const a = this.config.appointments;
      if (a.database !== ':memory:') mkdirSync(dirname(a.database), { recursive: true });
      this.appointments = new AppointmentStore(a.database, { timeZone: a.timeZone, openingHours: a.openingHours });
    }
    return this.appointments;
  }

  /**
   * At startup, what calls would otherwise build on their way in: the flows, checked now so a
   * mistake stops startup naming the file, node and field, and the recognizers' domain models.
   */
  prepare(agents: readonly AgentConfig[], chains: (agent: AgentConfig) => ProviderChains, skip: { flows: boolean; recognizers: boolean }): void {
    for (const agent of agents) {
      if (agent.flow && !skip.flows) this.flow(agent);
      if (chains(agent).stt.includes('pocketsphinx') && !skip.recognizers) this.stt('pocketsphinx', 'startup', agent);
    }
  }

  /** The agent's conversation flow, loaded and validated once (errors name the file, node and field). */
  flow(agent: AgentConfig): Flow {
    if (!agent.flow) throw new ConfigError(`agent "${agent.name}" has no flow file`);
    let flow = this.flows.get(agent.name);
    if (!flow) {
      let text: string;
      try {
        text = readFileSync(agent.flow, 'utf8');
      } catch (err) {
        throw new ConfigError(`agent "${agent.name}": cannot read the flow file ${agent.flow} (agent.flow): ${(err as Error).message}`);
      }
      flow = parseFlow(text, agent.flow, { knownTools: this.tools(agent).specs().map((t) => t.name) });
      this.flows.set(agent.name, flow);
    }
    return flow;
  }

  private key(vendor: keyof typeof VENDOR_KEY_ENV): string {
    const key = this.env[VENDOR_KEY_ENV[vendor]];
    if (!key) throw new ConfigError(`${vendor} needs the environment variable ${VENDOR_KEY_ENV[vendor]}`);
    return key;
  }

  /** A fresh STT engine for one call (`tag` labels the call at the vendor). */
  stt(name: SttEngine, tag: string, agent: AgentConfig): { engine: SttProvider; model: string } {
    const p = this.config.providers;
    const sim = this.config.simulated;
    switch (name) {
      case 'pocketsphinx': {
        // One per agent: building the domain model takes tens of ms, and calls only open streams on it.
        let engine = this.recognizers.get(agent.name);
        if (!engine) {
          // A flow agent listens for its domain: the booking phrases plus the flow's own examples.
          const phrases = agent.flow ? [...bookingDomainPhrases(), ...Object.values(this.flow(agent).intents).flat()] : undefined;
          engine = new PocketsphinxStt(phrases ? { phrases } : {});
          this.recognizers.set(agent.name, engine);
        }
        return { engine, model: 'en-us' };
      }
      case 'simulated':
        return { engine: new SimulatedStt({ clock: this.clock, script: sim.script, finalDelayMs: sim.sttFinalDelayMs }), model: 'simulated' };
      case 'deepgram': {
        const d = p.deepgram;
        const engine = new DeepgramStt({
          apiKey: this.key('deepgram'),
          baseUrl: d.baseUrl,
          model: d.model,
          language: d.language,
          endpointingMs: d.endpointingMs,
          ...(d.utteranceEndMs === null ? {} : { utteranceEndMs: d.utteranceEndMs }),
          tag,
        });
        return { engine, model: d.model };
      }
      case 'whisper': {
        const w = p.whisper;
        this.whisper ??= new WhisperStt({ modelPath: w.modelPath, language: w.language, threads: w.threads });
        return { engine: this.whisper, model: basename(this.whisper.modelPath) };
      }
      case 'openai':
        return {
          engine: new OpenAiTranscriber({ apiKey: this.key('openai'), baseUrl: p.openai.baseUrl, model: p.openai.transcriptionModel }),
          model: p.openai.transcriptionModel,
        };
    }
  }

  llm(name: string, agent: AgentConfig): LlmProvider {
    const key = name === 'flow' ? `flow:${agent.name}` : name;
    let engine = this.llms.get(key);
    if (!engine) {
      engine = this.buildLlm(name, agent);
      this.llms.set(key, engine);
    }
    return engine;
  }

  private buildLlm(name: string, agent: AgentConfig): LlmProvider {
    const p = this.config.providers;
    const sim = this.config.simulated;
    if (name === 'flow') return new FlowLlm(this.flow(agent), { timeZone: this.config.appointments.timeZone });
    if (name === 'simulated') return new SimulatedLlm({ clock: this.clock, ttftMs: sim.llmTtftMs, tokensPerSecond: sim.llmTokensPerSecond });
    if (name === 'openai') {
      return new OpenAiLlm({ apiKey: this.key('openai'), baseUrl: p.openai.baseUrl, model: p.openai.model, temperature: p.openai.temperature, maxTokens: p.openai.maxTokens });
    }
    if (name === 'llama') {
      const l = p.llama;
      return new LlamaLlm({ modelPath: l.modelPath, contextSize: l.contextSize, temperature: l.temperature, maxTokens: l.maxTokens, threads: l.threads });
    }
    const endpoint = p.llmEndpoints[name];
    if (!endpoint) throw new ConfigError(`unknown LLM "${name}"`);
    // Servers that ignore auth (Ollama) still need a non-empty bearer in the OpenAI client.
    const apiKey = endpoint.apiKeyEnv ? (this.env[endpoint.apiKeyEnv] ?? '') : 'unused';
    return new OpenAiLlm({ name, apiKey, baseUrl: endpoint.baseUrl, model: endpoint.model, temperature: endpoint.temperature });
  }

  tts(name: TtsEngine): { engine: TtsProvider; model: string } {
    let engine = this.ttss.get(name);
    if (!engine) {
      engine = this.buildTts(name);
      this.ttss.set(name, engine);
    }
    const p = this.config.providers;
    const model = { simulated: 'simulated', espeak: 'espeak-ng', deepgram: p.deepgram.ttsModel, elevenlabs: p.elevenlabs.modelId, cartesia: p.cartesia.modelId }[name];
    return { engine, model };
  }

  private buildTts(name: TtsEngine): TtsProvider {
    const p = this.config.providers;
    const sim = this.config.simulated;
    switch (name) {
      case 'simulated':
        return new SimulatedTts({ clock: this.clock, ttfbMs: sim.ttsTtfbMs, realtimeFactor: sim.ttsRealtimeFactor });
      case 'espeak':
        return new EspeakTts({ voice: p.espeak.voice, rate: p.espeak.rate, pitch: p.espeak.pitch, volume: p.espeak.volume });
      case 'deepgram':
        return new DeepgramTts({ apiKey: this.key('deepgram'), baseUrl: p.deepgram.baseUrl, model: p.deepgram.ttsModel, transport: p.deepgram.ttsTransport });
      case 'elevenlabs':
        return new ElevenLabsTts({ apiKey: this.key('elevenlabs'), baseUrl: p.elevenlabs.baseUrl, voiceId: p.elevenlabs.voiceId, modelId: p.elevenlabs.modelId, outputFormat: p.elevenlabs.outputFormat });
      case 'cartesia':
        return new CartesiaTts({ apiKey: this.key('cartesia'), baseUrl: p.cartesia.baseUrl, voiceId: p.cartesia.voiceId, modelId: p.cartesia.modelId, version: p.cartesia.version, language: p.cartesia.language });
    }
  }

  close(): void {
    for (const engine of this.ttss.values()) {
      if (engine instanceof CartesiaTts) engine.close();
      if (engine instanceof EspeakTts) void engine.close();
    }
    for (const engine of this.llms.values()) if (engine instanceof LlamaLlm) void engine.close();
    void this.whisper?.close();
    this.appointments?.close();
  }
}

export async function createParley(configured: Config, parts: ParleyParts = {}): Promise<Parley> {
  const clock = parts.clock ?? systemClock;
  const log = parts.log ?? createLogger(configured.logLevel);
  // Local engines whose packages are missing drop out of their chains, with a warning saying what to install.
  const { config, unavailable } = withAvailableEngines(configured, log, parts.engineProbe);
  const vad = parts.vad ?? (await createVad({ prefer: config.vad.engine, logger: log }));
  const engines = new Engines(config, clock, parts.env ?? process.env);
  engines.prepare(allAgents(config), (agent) => resolveChains(config, agent), { flows: Boolean(parts.llm), recognizers: Boolean(parts.stt) });
  const registry = new SessionRegistry(clock, config.server.resumeWindowMs);
  const res = config.resilience;
  const health = new ProviderHealth({ clock, breaker: { failureThreshold: res.breaker.failureThreshold, openMs: res.breaker.openMs } });
  const ledger = new BudgetLedger({ budgets: config.budgets, wallNow: parts.wallNow });
  const prices = new PriceTable(mergePriceTables(DEFAULT_PRICES, config.usage.prices ?? {}));
  const currency = new DisplayCurrency(config.usage.currency);
  const metrics = new Metrics({ health, ledger, activeSessions: () => registry.size });
  ledger.onLevelChange((agent, from, to, status) => {
    const data = { agent, from, to, daily: status.daily, monthly: status.monthly };
    if (to === 'ok') log.info(data, 'agent budget level back to ok');
    else log.warn(data, to === 'warn' ? 'agent reached 80% of its budget' : to === 'downgrade' ? 'agent budget spent: switching to the cheaper tier' : 'agent hard limit reached: no new calls');
  });
  const agents = new Map(allAgents(config).map((a) => [a.name, a]));
  const baseTurn: Partial<TurnSettings> = {
    debounceOverrideMs: config.turn.debounceMs,
    speculativeHoldMs: config.turn.speculativeHoldMs,
    minInterruptionMs: config.turn.minInterruptionMs,
    ...(config.turn.correctionMarkers ? { correctionMarkers: config.turn.correctionMarkers } : {}),
  };
  const wallOffset = Date.now() - clock.now();
  const pacing = new PacingStats();
  const chainName = (names: readonly string[]) => names.join(' > ');
  const defaultChains = resolveChains(config, config.agent);
  const engineNames = {
    vad: vad.kind,
    stt: parts.stt?.name ?? chainName(defaultChains.stt),
    llm: parts.llm?.name ?? chainName(defaultChains.llm),
    tts: parts.tts?.name ?? chainName(defaultChains.tts),
  };

  /** One call's providers: metered adapters in fallback chains, with the cheaper tier behind a budget switch. */
  function callProviders(agent: AgentConfig, callId: string, usage: CallUsage, report: ResilienceReporter) {
    const premium = resolveChains(config, agent);
    const economy = { ...premium, ...config.providers.economy };
    const downgraded = () => {
      const level = ledger.status(agent.name).level;
      return level === 'downgrade' || level === 'blocked';
    };
    const startTier = downgraded() ? economy : premium;
    const retry = res.retry;
    const llmChain = (names: string[]) =>
      new LlmChain({ providers: names.map((n) => new MeteredLlm(engines.llm(n, agent), usage)), health, clock, retry, firstTokenTimeoutMs: res.llmFirstTokenTimeoutMs, apology: res.apology, report });
    const ttsChain = (names: TtsEngine[]) =>
      new TtsChain({
        providers: names.map((n) => {
          const { engine, model } = engines.tts(n);
          return new MeteredTts(engine, usage, model);
        }),
        health,
        clock,
        retry,
        firstAudioTimeoutMs: res.ttsFirstAudioTimeoutMs,
        report,
      });
    const stt = new ReconnectingStt({
      providers: startTier.stt.map((n) => {
        const { engine, model } = engines.stt(n, callId, agent);
        return new MeteredStt(engine, usage, model);
      }),
      health,
      clock,
      report,
      reconnectDelaysMs: res.sttReconnectDelaysMs,
      bufferMs: res.sttBufferMs,
      replayMaxAgeMs: res.sttReplayMs,
    });
    const firstLlm = premium.llm[0];
    // A flow agent whose chain starts with a real model lets that model understand the caller
    // (function calling); 'simulated' makes no function calls, so it never counts as a model here.
    const isModel = (n: string) => n === 'openai' || n === 'llama' || n in config.providers.llmEndpoints;
    const understanding =
      !parts.llm && agent.flow && isModel(firstLlm)
        ? // No apology: a failed understanding falls back to the flow's matcher instead.
          new LlmChain({ providers: premium.llm.filter(isModel).map((n) => new MeteredLlm(engines.llm(n, agent), usage)), health, clock, retry, firstTokenTimeoutMs: res.llmFirstTokenTimeoutMs, apology: null, report })
        : null;
    // One FlowLlm per call when a model understands, so its requests are metered on this call.
    const flow = parts.llm
      ? null
      : understanding
        ? new FlowLlm(engines.flow(agent), { timeZone: config.appointments.timeZone, understand: understanding, understandTimeoutMs: res.llmFirstTokenTimeoutMs })
        : firstLlm === 'flow'
          ? (engines.llm('flow', agent) as FlowLlm)
          : null;
    return {
      flow,
      stt: parts.stt ?? stt,
      llm: parts.llm ?? new TierSwitchLlm(understanding && flow ? new MeteredLlm(flow, usage) : llmChain(premium.llm), llmChain(economy.llm), downgraded),
      tts: parts.tts ?? new TierSwitchTts(ttsChain(premium.tts), ttsChain(economy.tts), downgraded),
      names: { stt: parts.stt?.name ?? chainName(startTier.stt), llm: parts.llm?.name ?? chainName(premium.llm), tts: parts.tts?.name ?? chainName(premium.tts) },
    };
  }

  const app = await buildServer({
    log,
    webRoot: join(packageRoot(), 'web'),
    maxFrameBytes: config.server.maxFrameBytes,
    health: () => ({
      engines: engineNames,
      unavailable_engines: unavailable,
      active_sessions: registry.size,
      outbound_pacing: pacing.snapshot(),
      providers: health.snapshot().providers,
      budgets: ledger.snapshot(),
    }),
    metrics: () => metrics.render(),
    resetStats: () => pacing.reset(),
    voice: {
      clock,
      log,
      registry,
      engines: engineNames,
      internalSampleRate: config.audio.sampleRate,
      defaultOutputSampleRate: config.audio.defaultOutputSampleRate,
      heartbeatIntervalMs: config.server.heartbeatIntervalMs,
      heartbeatTimeoutMs: config.server.heartbeatTimeoutMs,
      wallTime: (at) => wallOffset + at,
      createSession(request) {
        const agent = agents.get(request.agent ?? config.agent.name);
        if (!agent) throw new UnknownAgentError(`unknown agent "${request.agent}" (available: ${[...agents.keys()].join(', ')})`);
        const allowed = ledger.canStartCall(agent.name);
        if (!allowed.ok) throw new SessionRefusedError('budget_exceeded', allowed.reason, false);
        const usage = new CallUsage({ prices, currency, clock, callId: request.callId, agent: agent.name });
        usage.onRecord((e) => {
          ledger.add(agent.name, e.usd);
          metrics.addCost(agent.name, e.usd);
        });
        let session: Session | null = null;
        const providers = callProviders(agent, request.callId, usage, (event) => session?.noteProviderEvent(event));
        const o = request.overrides;
        session = new Session({
          callId: request.callId,
          clock,
          log: log.child({ call_id: request.callId }),
          vad,
          stt: providers.stt,
          llm: providers.llm,
          tts: providers.tts,
          engines: providers.names,
          usage,
          tools: engines.tools(agent),
          sampleRate: config.audio.sampleRate,
          sendAudio: (frame, dueAt) => {
            pacing.record(clock.now() - dueAt);
            request.sendAudio(frame, dueAt);
          },
          agent: {
            name: agent.name,
            systemPrompt: o.systemPrompt ?? agent.systemPrompt,
            // A flow agent opens with its flow's greeting (the start node's words).
            greeting: o.greeting !== undefined ? o.greeting : (providers.flow?.greeting ?? agent.greeting),
            voice: agent.voice,
            turn: { ...baseTurn, ...o.turn },
            vad: { threshold: config.vad.threshold, minSpeechMs: config.vad.minSpeechMs, minSilenceMs: config.vad.minSilenceMs, ...o.vad },
          },
        });
        metrics.observe(session.timeline);
        // A flow agent reports its node and slots after each turn, and its end node ends the call.
        if (providers.flow) followFlow(session, providers.flow, clock);
        return session;
      },
    },
  });

  return {
    app,
    pacing,
    registry,
    vad,
    health,
    ledger,
    async close(reason = 'server shutting down') {
      await app.close();
      registry.endAll(reason);
      engines.close();
      await vad.close();
    },
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'sim') {
    const { runSimCli } = await import('../sim/sim-cli.js');
    await runSimCli(process.argv.slice(3));
    return;
  }
  let config: Config;
  let parley: Parley;
  try {
    config = loadConfig();
    parley = await createParley(config);
  } catch (err) {
    // A mistake in the configuration or a flow file: say where, without a stack trace.
    if (err instanceof ConfigError || err instanceof FlowValidationError) {
      console.error(`parley: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  await parley.app.listen({ host: config.server.host, port: config.server.port });
  parley.app.log.info({ url: `http://localhost:${config.server.port}` }, 'Parley is listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    parley.app.log.info({ signal }, 'shutting down');
    void parley.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

// Run when started as a program (also through the `parley` bin link), not when imported.
if (process.argv[1] && existsSync(process.argv[1]) && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main();
}
