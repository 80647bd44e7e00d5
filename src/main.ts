#!/usr/bin/env node
// Composition root: the only place (with src/wiring/) that picks concrete classes and wires them together.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { AgentsUnavailableError } from './agents/agent-catalog.js';
import type { RuntimeAgent } from './agents/runtime-agent.js';
import { buildServer } from './api/server.js';
import type { CallResumeState } from './calls/call-resume-state.js';
import { systemClock, type Clock } from './clock.js';
import { allAgents, ConfigError, loadConfig, resolveChains, type Config } from './config.js';
import type { TtsEngine } from './config-providers.js';
import { Metrics } from './metrics/metrics.js';
import { FlowLlm, FlowValidationError } from './flows/index.js';
import { followFlow } from './flows/flow-follower.js';
import { withAvailableEngines } from './engine-availability.js';
import type { LocalEngineProbe } from './providers/local/local-availability.js';
import { LlmChain, ProviderHealth, ReconnectingStt, TtsChain, type ResilienceReporter } from './resilience/index.js';
import { BudgetLedger, CallUsage, DEFAULT_PRICES, DisplayCurrency, MeteredLlm, MeteredStt, MeteredTts, mergePriceTables, PriceTable, TierSwitchLlm, TierSwitchTts } from './usage/index.js';
import { createLogger, type Logger } from './log.js';
import type { LlmProvider, SttProvider, TtsProvider } from './providers/types.js';
import { PacingStats } from './session/pacing-stats.js';
import { Session } from './session/session.js';
import { SessionRegistry } from './session/session-registry.js';
import { SessionRefusedError, UnknownAgentError, type NewSessionRequest } from './transports/browser-ws/voice-connection.js';
import type { TurnSettings } from './turn/turn-inputs.js';
import { createVad } from './vad/create-vad.js';
import type { Vad } from './vad/vad.js';
import { CallRecorder } from './recording/call-recorder.js';
import { prepareRecordingPath } from './recording/recording-path.js';
import { sweepRecordings } from './recording/recording-sweep.js';
import { followRoutes } from './api/follow/index.js';
import { forbidden, unauthorized } from './api/api-error.js';
import { registerApiDocs } from './api/api-docs.js';
import { registerV1 } from './api/v1/register-v1.js';
import { Authenticator } from './auth/authenticator.js';
import { createTenantWithAdminKey, ensureAdminUser } from './auth/bootstrap.js';
import { openMigratedStore } from './store/open-store.js';
import { can } from './auth/principal.js';
import { webhookRoutes } from './webhooks/webhook-routes.js';
import { busCheck, databaseCheck, providersCheck, Readiness, readyRoute, redisCheck, type ProviderChain } from './observability/index.js';
import { followCallForWebhooks } from './webhooks/call-webhook-events.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { observeCall } from './wiring/call-observers.js';
import { Engines } from './wiring/engines.js';
import { PhoneCalls, type PhoneSessionRequest } from './wiring/phone-calls.js';
import { DialError, OutboundDialer } from './wiring/outbound-dialer.js';
import { callControlRoutes } from './api/v1/call-control-routes.js';
import { SipEndpoint } from './transports/sip/sip-endpoint.js';
import { twilioRoutes } from './transports/twilio/twilio-routes.js';
import { TwilioRestClient } from './transports/twilio/twilio-rest.js';
import { PHONE_SAMPLE_RATE, type PhoneCallInfo } from './transports/phone/phone-leg.js';
import { fillVariables } from './agents/prompt-variables.js';
import { CallControls } from './calls/call-control.js';
import { openPlatform, type Platform } from './wiring/platform.js';

/** Polls `done` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Every provider chain in use, for the readiness check (a chain is down when all its providers are). */
function providerChainsOf(config: Config): ProviderChain[] {
  const seen = new Set<string>();
  return allAgents(config).flatMap((agent) => {
    const chains = resolveChains(config, agent);
    return (['stt', 'llm', 'tts'] as const).flatMap((kind) => {
      const key = `${kind}:${chains[kind].join('>')}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [{ kind, providers: [...chains[kind]] }];
    });
  });
}

/** The other end of a phone call: who called in, or whom an outbound call reached. */
function remoteParty(info: PhoneCallInfo): string {
  return info.direction === 'outbound' ? info.to : info.from;
}

/** Why calls end when the server stops: such calls stay resumable on another instance. */
export const SHUTDOWN_REASON = 'server shutting down';

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
  platform: Platform;
  /**
   * Stops taking calls, lets calls in progress go on for up to `drainTimeoutMs` (default 0), ends
   * the rest, gives queued writes up to `flushTimeoutMs` (default 10 s), and closes everything.
   */
  close(reason?: string, options?: { drainTimeoutMs?: number; flushTimeoutMs?: number }): Promise<void>;
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

export async function createParley(configured: Config, parts: ParleyParts = {}): Promise<Parley> {
  const clock = parts.clock ?? systemClock;
  const log = parts.log ?? createLogger(configured.logLevel);
  // Local engines whose packages are missing drop out of their chains, with a warning saying what to install.
  const { config, unavailable } = withAvailableEngines(configured, log, parts.engineProbe);
  const platform = await openPlatform(config, clock, log);
  /** The tenant of every call this process holds (a resume must come from the same tenant). */
  const callTenants = new Map<string, string>();
  let draining = false;
  const { catalog, defaultTenantId } = platform;
  const repository = platform.store.repository;
  const vad = parts.vad ?? (await createVad({ prefer: config.vad.engine, logger: log }));
  const telephony = config.telephony;
  /** Hang-up, transfer and keypad tones of every live call, for the agent tools and the API. */
  const callControls = new CallControls();
  const engines = new Engines(config, clock, parts.env ?? process.env, callControls);
  const configNames = new Set(allAgents(config).map((a) => a.name));
  const configAgents = (await catalog.agents(defaultTenantId)).filter((a) => configNames.has(a.name));
  engines.prepare(configAgents, (agent) => resolveChains(config, agent), { flows: Boolean(parts.llm), recognizers: Boolean(parts.stt) });
  const registry = new SessionRegistry(clock, config.server.resumeWindowMs);
  const res = config.resilience;
  const health = new ProviderHealth({ clock, breaker: { failureThreshold: res.breaker.failureThreshold, openMs: res.breaker.openMs } });
  const ledger = new BudgetLedger({ budgets: config.budgets, wallNow: parts.wallNow });
  const prices = new PriceTable(mergePriceTables(DEFAULT_PRICES, config.usage.prices ?? {}));
  const currency = new DisplayCurrency(config.usage.currency);
  const metrics = new Metrics({
    health,
    ledger,
    activeSessions: () => registry.size,
    activeCalls: () => callTenants.size,
    storeQueue: () => platform.writes.stats(),
    bus: () => platform.bus.stats(),
    webhooks: () => repository.countWebhookDeliveries(),
  });
  const webhooks = new WebhookDispatcher({
    repository,
    clock,
    now: () => new Date(),
    log,
    timeoutMs: config.webhooks.timeoutMs,
    pollIntervalMs: config.webhooks.pollIntervalMs,
    ...(config.webhooks.retryScheduleMs ? { schedule: config.webhooks.retryScheduleMs } : {}),
  });
  webhooks.start();
  const authenticator = new Authenticator({ repository, now: () => new Date(), anonymousLoopback: config.auth.anonymous === 'loopback', defaultTenantId });
  const adminPassword = (parts.env ?? process.env).PARLEY_ADMIN_PASSWORD;
  if (config.auth.adminEmail && adminPassword) {
    const { created } = await ensureAdminUser(repository, defaultTenantId, config.auth.adminEmail, adminPassword);
    if (created) log.info({ email: config.auth.adminEmail }, 'admin user created');
  }
  const readiness = new Readiness([
    databaseCheck(platform.store.db),
    ...(config.bus.redisUrl ? [redisCheck(config.bus.redisUrl)] : []),
    providersCheck(health, { chains: providerChainsOf(config) }),
    busCheck(platform.bus),
  ]);
  ledger.onLevelChange((agent, from, to, status) => {
    const data = { agent, from, to, daily: status.daily, monthly: status.monthly };
    if (to === 'ok') log.info(data, 'agent budget level back to ok');
    else log.warn(data, to === 'warn' ? 'agent reached 80% of its budget' : to === 'downgrade' ? 'agent budget spent: switching to the cheaper tier' : 'agent hard limit reached: no new calls');
  });
  // Budgets are configured by agent name for the configuration's own agents (the default tenant).
  const budgetKey = (agent: RuntimeAgent) => (agent.tenantId === defaultTenantId ? agent.name : `${agent.tenantId}/${agent.name}`);
  const baseTurn: Partial<TurnSettings> = {
    debounceOverrideMs: config.turn.debounceMs,
    speculativeHoldMs: config.turn.speculativeHoldMs,
    minInterruptionMs: config.turn.minInterruptionMs,
    dtmfTimeoutMs: config.turn.dtmfTimeoutMs,
    dtmfMaxDigits: config.turn.dtmfMaxDigits,
    ...(config.turn.correctionMarkers ? { correctionMarkers: config.turn.correctionMarkers } : {}),
  };
  const wallOffset = Date.now() - clock.now();
  const wallTime = (at: number) => wallOffset + at;
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
  function callProviders(agent: RuntimeAgent, callId: string, usage: CallUsage, report: ResilienceReporter) {
    const premium = resolveChains(config, agent);
    const economy = { ...premium, ...config.providers.economy };
    const downgraded = () => {
      const level = ledger.status(budgetKey(agent)).level;
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
      !parts.llm && (agent.flow || agent.inlineFlow) && isModel(firstLlm)
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

  /** Builds a call on a resolved agent; `resume` carries the saved state of a call restored here. */
  function buildSession(agent: RuntimeAgent, request: NewSessionRequest, resume: CallResumeState | null, recordingPath: string | null, phone?: PhoneSessionRequest): Session {
    const allowed = ledger.canStartCall(budgetKey(agent));
    if (!allowed.ok) throw new SessionRefusedError('budget_exceeded', allowed.reason, false);
    const usage = new CallUsage({ prices, currency, clock, callId: request.callId, agent: agent.name });
    usage.onRecord((e) => {
      ledger.add(budgetKey(agent), e.usd);
      metrics.addCost(agent.name, e.usd);
    });
    let session: Session | null = null;
    const providers = callProviders(agent, request.callId, usage, (event) => session?.noteProviderEvent(event));
    const o = request.overrides;
    const callLog = log.child({ call_id: request.callId, tenant_id: agent.tenantId });
    const recorder = recordingPath
      ? new CallRecorder({ path: recordingPath, sampleRate: config.audio.sampleRate, startAt: clock.now(), onError: (e) => callLog.warn({ err: e.message }, 'recording stopped') })
      : null;
    const variables = phone?.variables ?? {};
    const agentGreeting = o.greeting !== undefined ? o.greeting : (providers.flow?.greeting ?? agent.greeting);
    // A recorded call says so first (when configured), before anything else the agent says.
    const consent = recorder ? config.recording.consentAnnouncement : null;
    const greeting = [consent, agentGreeting === null ? null : fillVariables(agentGreeting, variables)].filter((t): t is string => Boolean(t)).join(' ') || null;
    session = new Session({
      callId: request.callId,
      clock,
      log: callLog,
      vad,
      stt: providers.stt,
      llm: providers.llm,
      tts: providers.tts,
      engines: providers.names,
      usage,
      tools: engines.tools(agent),
      sampleRate: config.audio.sampleRate,
      history: resume?.history,
      sendAudio: request.sendAudio,
      onAgentAudio: (frame, dueAt) => {
        pacing.record(clock.now() - dueAt);
        recorder?.agent(frame, dueAt);
      },
      ...(recorder ? { onCallerAudio: (frame: Int16Array, at: number) => recorder.caller(frame, at) } : {}),
      ...(phone ? { unplayedMs: () => phone.leg.unplayedMs() } : {}),
      agent: {
        name: agent.name,
        systemPrompt: fillVariables(o.systemPrompt ?? agent.systemPrompt, variables),
        // A flow agent opens with its flow's greeting (the start node's words).
        greeting,
        voice: agent.voice,
        turn: { ...baseTurn, ...agent.turn, ...o.turn },
        vad: { threshold: config.vad.threshold, minSpeechMs: config.vad.minSpeechMs, minSilenceMs: config.vad.minSilenceMs, ...o.vad },
      },
    });
    metrics.observe(session.timeline);
    // A flow agent reports its node and slots after each turn, and its end node ends the call.
    const handoff = telephony.handoff;
    if (providers.flow) {
      followFlow(session, providers.flow, clock, {
        ...(phone && handoff
          ? {
              handOver: async () => {
                const control = callControls.get(request.callId);
                if (!control) return false;
                await control.transfer(handoff.target, handoff.mode);
                return true;
              },
            }
          : {}),
      });
    }
    const call = { tenantId: agent.tenantId, agentId: agent.agentId, agentVersion: agent.version, callId: request.callId, transport: phone?.info.transport ?? resume?.transport ?? 'websocket', caller: phone ? remoteParty(phone.info) : (resume?.caller ?? null) };
    observeCall(
      session,
      call,
      { writes: platform.writes, bus: platform.bus, resumeStates: platform.resumeStates, resumeTtlMs: config.bus.sessionStateTtlMs, wallTime, log, resumableEnd: (reason) => reason === SHUTDOWN_REASON },
      { llm: { provider: providers.names.llm, model: providers.names.llm }, cursor: resume?.cursor },
    );
    const source = { agentId: agent.agentId, agentVersion: agent.version, webhooks: agent.webhooks };
    followCallForWebhooks(
      session.timeline,
      (event) => {
        if (event.type === 'call.analyzed') {
          platform.writes.enqueue({ id: `${request.callId}:${resume?.cursor.generation ?? 0}:analysis`, tenantId: agent.tenantId, kind: 'callAnalysis', callId: request.callId, analysis: event.data });
        }
        if (source.webhooks.length > 0) void webhooks.enqueue(agent.tenantId, source, event);
      },
      { wallTime },
    );
    callTenants.set(request.callId, agent.tenantId);
    const live = session;
    const releaseControl = callControls.register(request.callId, {
      hangup: async (reason) => live.endAfterReply(reason),
      async transfer(target, mode) {
        if (!phone) throw new Error('only phone calls can be transferred');
        // The reply announcing the transfer is heard first.
        await live.afterReply();
        try {
          await phone.leg.transfer(target, mode);
          live.noteTransfer({ target, mode, ok: true });
        } catch (err) {
          live.noteTransfer({ target, mode, ok: false, error: err instanceof Error ? err.message : String(err) });
          throw err;
        }
      },
      async sendDtmf(digits) {
        if (!phone) throw new Error('only phone calls can send keypad tones');
        await phone.leg.sendDtmf(digits);
      },
    });
    session.timeline.subscribe((e) => {
      if (e.type !== 'call.ended') return;
      releaseControl();
      callTenants.delete(request.callId);
      void recorder?.close(clock.now()).then((r) => {
        if (!r.error) platform.writes.enqueue({ id: `${request.callId}:recording:${r.path}`, tenantId: agent.tenantId, kind: 'callRecording', callId: request.callId, path: r.path });
      });
    });
    return session;
  }

  /** Where this call's recording goes (a resumed call's later part gets a file of its own), or null. */
  async function recordingPathFor(request: NewSessionRequest, generation = 0): Promise<string | null> {
    if (!config.recording.enabled) return null;
    try {
      return await prepareRecordingPath(config.recording.dir, request.tenantId, generation ? `${request.callId}-${generation}` : request.callId);
    } catch (err) {
      log.warn({ call_id: request.callId, err: String(err) }, 'no recording for this call');
      return null;
    }
  }

  async function resolveAgent(tenantId: string, ref: string | undefined): Promise<RuntimeAgent> {
    let agent: RuntimeAgent | undefined;
    try {
      agent = await catalog.resolve(tenantId, ref, tenantId === defaultTenantId ? config.agent.name : undefined);
    } catch (err) {
      if (err instanceof AgentsUnavailableError) throw new SessionRefusedError('unavailable', 'agents cannot be read right now: try again shortly', true);
      throw err;
    }
    if (!agent) {
      const known = (await catalog.agents(tenantId)).map((a) => a.name);
      throw new UnknownAgentError(`unknown agent "${ref ?? '(default)'}" (available: ${known.join(', ') || 'none'})`);
    }
    return agent;
  }

  // Recordings older than the retention go, at startup and then hourly.
  const sweep = () =>
    sweepRecordings({ repository, retentionDays: config.recording.retentionDays, now: new Date(), dir: config.recording.dir, onError: (path, err) => log.warn({ path, err: String(err) }, 'recording not removed') })
      .then((r) => (r.deleted || r.strayDeleted ? log.info(r, 'expired recordings removed') : undefined))
      .catch((err: unknown) => log.warn({ err: String(err) }, 'recording sweep failed'));
  if (config.recording.enabled) void sweep();
  const sweepTimer = config.recording.enabled ? setInterval(() => void sweep(), 3_600_000).unref() : null;

  // Phone calls: Twilio Media Streams and the SIP endpoint hand their legs to one acceptor.
  const env = parts.env ?? process.env;
  const phoneCalls = new PhoneCalls({
    log,
    routes: () => telephony.routes,
    defaultTenantId,
    sessionSampleRate: config.audio.sampleRate,
    accepting: () => !draining,
    async buildSession(phone) {
      const agent = await resolveAgent(phone.tenantId, phone.agent);
      const request: NewSessionRequest = {
        callId: phone.callId,
        tenantId: phone.tenantId,
        agent: phone.agent,
        overrides: { turn: {}, vad: {} },
        inputSampleRate: PHONE_SAMPLE_RATE,
        outputSampleRate: PHONE_SAMPLE_RATE,
        sendAudio: phone.sendAudio,
      };
      return buildSession(agent, request, null, await recordingPathFor(request), phone);
    },
  });
  const sipConfig = telephony.sip;
  let sip: SipEndpoint | null = null;
  if (sipConfig.enabled) {
    const trunk = sipConfig.trunk;
    const endpoint = new SipEndpoint({
      host: sipConfig.host,
      port: sipConfig.port,
      transports: sipConfig.transports,
      publicAddress: sipConfig.publicAddress,
      rtp: { min: sipConfig.rtpPortMin, max: sipConfig.rtpPortMax },
      clock,
      log: log.child({ component: 'sip' }),
      acceptor: phoneCalls,
      maxCalls: sipConfig.maxCalls,
      routes: telephony.routes.map((r) => ({ match: r.match, agent: r.agent, tenantId: r.tenant })),
      trunk: trunk ? { ...trunk, password: env.SIP_TRUNK_PASSWORD } : undefined,
    });
    try {
      await endpoint.start();
      sip = endpoint;
    } catch (err) {
      // Another program on the SIP port must not stop the rest of Parley.
      log.error({ err: err instanceof Error ? err.message : String(err), port: sipConfig.port }, 'SIP endpoint not started');
    }
  }
  const twilioToken = env.TWILIO_AUTH_TOKEN;
  const twilioRest = telephony.twilio.accountSid && twilioToken ? new TwilioRestClient({ accountSid: telephony.twilio.accountSid, authToken: twilioToken, baseUrl: telephony.twilio.apiBaseUrl }) : null;
  const dialer = new OutboundDialer({
    phoneCalls,
    log,
    accepting: () => !draining,
    sip,
    twilio: twilioRest ? { rest: twilioRest, from: telephony.twilio.from, voiceUrl: telephony.publicUrl ? new URL('/twilio/voice', telephony.publicUrl).toString() : null } : null,
    async checkAgent(tenantId, ref) {
      try {
        await resolveAgent(tenantId, ref);
      } catch (err) {
        // The message lists the tenant's agents but does not echo the reference asked for.
        if (err instanceof UnknownAgentError) throw new DialError(404, `no such agent in this tenant (available: ${(await catalog.agents(tenantId)).map((a) => a.name).join(', ') || 'none'})`);
        if (err instanceof SessionRefusedError) throw new DialError(503, err.message);
        throw err;
      }
    },
  });

  const app = await buildServer({
    log,
    webRoot: join(packageRoot(), 'web'),
    maxFrameBytes: config.server.maxFrameBytes,
    bodyLimitBytes: config.api.bodyLimitBytes,
    health: () => ({
      engines: engineNames,
      unavailable_engines: unavailable,
      active_sessions: registry.size,
      phone_calls: phoneCalls.size,
      sip: sip ? { listening: true, port: sip.port, calls: sip.activeCalls, rtp_ports_in_use: sip.stats().rtpPortsInUse } : { listening: false },
      outbound_pacing: pacing.snapshot(),
      providers: health.snapshot().providers,
      budgets: ledger.snapshot(),
      store: { backend: platform.store.dialect, ...platform.writes.stats() },
      bus: platform.bus.stats(),
    }),
    metrics: () => metrics.render(),
    resetStats: () => pacing.reset(),
    async routes(root) {
      readyRoute(readiness)(root);
      await root.register(
        twilioRoutes({ acceptor: phoneCalls, clock, log: log.child({ component: 'twilio' }), authToken: twilioToken, publicUrl: telephony.publicUrl, rest: twilioRest ?? undefined }),
      );
      await registerV1(root, {
        repository,
        authenticator,
        now: () => new Date(),
        log,
        rateLimit: config.api.rateLimit,
        corsOrigins: config.api.corsOrigins,
        bodyLimitBytes: config.api.bodyLimitBytes,
        sessionTtlMs: config.auth.sessionTtlMs,
        onAgentChanged: (tenantId) => catalog.invalidate(tenantId),
        extraRoutes: [
          webhookRoutes({ repository, dispatcher: webhooks }),
          followRoutes({ bus: platform.bus, callTenant: async (tenantId, callId) => (await repository.getCallRow(tenantId, callId)) !== undefined }),
          callControlRoutes({
            dial: (tenantId, body) => dialer.dial({ tenantId, ...body }),
            live(callId) {
              const tenantId = callTenants.get(callId);
              const control = callControls.get(callId);
              return tenantId !== undefined && control ? { tenantId, control } : undefined;
            },
          }),
        ],
      });
    },
    async beforeRoutes(root) {
      await registerApiDocs(root);
    },
    async voiceTenant(request) {
      const query = request.query as Record<string, string | undefined>;
      const principal = await authenticator.authenticate({
        authorization: request.headers.authorization,
        apiKey: query.api_key,
        sessionToken: query.token,
        remoteAddress: request.socket.remoteAddress,
      });
      if (!principal) throw unauthorized('an API key (?api_key=) or a login token (?token=) is needed to start calls');
      if (!can(principal, 'voice')) throw forbidden('these credentials may not start calls (scope "voice")');
      return principal.tenantId;
    },
    voice: {
      clock,
      log,
      registry,
      engines: engineNames,
      internalSampleRate: config.audio.sampleRate,
      defaultOutputSampleRate: config.audio.defaultOutputSampleRate,
      heartbeatIntervalMs: config.server.heartbeatIntervalMs,
      heartbeatTimeoutMs: config.server.heartbeatTimeoutMs,
      wallTime,
      sessionTenant: (callId) => callTenants.get(callId),
      async createSession(request) {
        if (draining) throw new SessionRefusedError('unavailable', 'this server is shutting down: connect again to reach another instance', true);
        const agent = await resolveAgent(request.tenantId, request.agent);
        return buildSession(agent, request, null, await recordingPathFor(request));
      },
      async restoreSession(request) {
        if (draining) return null;
        const state = await platform.resumeStates.load(request.callId).catch(() => null);
        if (!state || state.tenantId !== request.tenantId) return null;
        const agent = await resolveAgent(state.tenantId, state.agentId);
        log.info({ call_id: request.callId, generation: state.cursor.generation }, 'call restored from saved state');
        return buildSession(agent, request, state, await recordingPathFor(request, state.cursor.generation));
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
    platform,
    async close(reason = SHUTDOWN_REASON, options = {}) {
      // No new calls (and /ready says so, for load balancers); calls in progress may finish.
      draining = true;
      readiness.setDraining(reason);
      if (sweepTimer) clearInterval(sweepTimer);
      const drainMs = options.drainTimeoutMs ?? 0;
      const attached = () => registry.sessions().filter((s) => registry.isAttached(s.id)).length + phoneCalls.size;
      if (drainMs > 0 && attached() > 0) {
        log.info({ calls: attached(), timeout_ms: drainMs }, 'waiting for calls to finish');
        await until(() => attached() === 0, drainMs);
      }
      await app.close();
      registry.endAll(reason);
      phoneCalls.endAll(reason);
      await sip?.stop();
      engines.close();
      await vad.close();
      // What the calls left to write gets a bounded time; the rest stays in the spill file for the next start.
      const flushed = await until(() => platform.writes.stats().queued === 0 && platform.bus.stats().queued === 0, options.flushTimeoutMs ?? 10_000);
      if (!flushed) log.warn({ store: platform.writes.stats(), bus: platform.bus.stats() }, 'shutting down with writes still queued: kept for the next start');
      webhooks.stop();
      await webhooks.drain(options.flushTimeoutMs ?? 10_000);
      metrics.close();
      readiness.close();
      await platform.close();
    },
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'sim') {
    const { runSimCli } = await import('../sim/sim-cli.js');
    await runSimCli(process.argv.slice(3));
    return;
  }
  if (process.argv[2] === 'tenants') {
    await runTenantsCli(process.argv.slice(3));
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
    void parley.close(SHUTDOWN_REASON, { drainTimeoutMs: config.server.drainTimeoutMs }).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** `parley tenants create <name>`: a new tenant and its first admin API key, printed once. */
async function runTenantsCli(args: string[]): Promise<void> {
  const [command, ...name] = args;
  if (command !== 'create' || name.length === 0) {
    console.error('usage: parley tenants create <name>');
    process.exit(2);
  }
  const config = loadConfig();
  const store = await openMigratedStore({ url: config.store.url, sqlitePath: config.store.sqlitePath, pgSchema: config.store.pgSchema });
  try {
    const { tenant, key } = await createTenantWithAdminKey(store.repository, name.join(' '));
    console.log(JSON.stringify({ tenant_id: tenant.id, name: tenant.name, admin_api_key: key }));
    console.error('Keep the key: it is shown only this once.');
  } finally {
    await store.close();
  }
}

// Run when started as a program (also through the `parley` bin link), not when imported.
if (process.argv[1] && existsSync(process.argv[1]) && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main();
}
