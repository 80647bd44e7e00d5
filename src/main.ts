#!/usr/bin/env node
// Composition root: the only place that picks concrete classes and wires them together.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import { systemClock, type Clock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from './providers/simulated/index.js';
import type { LlmProvider, SttProvider, TtsProvider } from './providers/types.js';
import { PacingStats } from './session/pacing-stats.js';
import { Session } from './session/session.js';
import { SessionRegistry } from './session/session-registry.js';
import { UnknownAgentError } from './transports/browser-ws/voice-connection.js';
import { currentTimeTool } from './tools/builtin-tools.js';
import { ToolRegistry } from './tools/tool-registry.js';
import type { TurnSettings } from './turn/turn-inputs.js';
import { createVad } from './vad/create-vad.js';
import type { Vad } from './vad/vad.js';

export interface ParleyParts {
  clock?: Clock;
  log?: Logger;
  vad?: Vad;
  stt?: SttProvider;
  llm?: LlmProvider;
  tts?: TtsProvider;
}

export interface Parley {
  app: FastifyInstance;
  pacing: PacingStats;
  registry: SessionRegistry;
  vad: Vad;
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

export async function createParley(config: Config, parts: ParleyParts = {}): Promise<Parley> {
  const clock = parts.clock ?? systemClock;
  const log = parts.log ?? createLogger(config.logLevel);
  const vad = parts.vad ?? (await createVad({ prefer: config.vad.engine, logger: log }));
  const sim = config.simulated;
  const stt = parts.stt ?? new SimulatedStt({ clock, script: sim.script, finalDelayMs: sim.sttFinalDelayMs });
  const llm = parts.llm ?? new SimulatedLlm({ clock, ttftMs: sim.llmTtftMs, tokensPerSecond: sim.llmTokensPerSecond });
  const tts = parts.tts ?? new SimulatedTts({ clock, ttfbMs: sim.ttsTtfbMs, realtimeFactor: sim.ttsRealtimeFactor });
  const tools = new ToolRegistry().register(currentTimeTool);
  const registry = new SessionRegistry(clock, config.server.resumeWindowMs);
  const engines = { vad: vad.kind, stt: stt.name, llm: llm.name, tts: tts.name };
  const baseTurn: Partial<TurnSettings> = {
    debounceOverrideMs: config.turn.debounceMs,
    speculativeHoldMs: config.turn.speculativeHoldMs,
    minInterruptionMs: config.turn.minInterruptionMs,
    ...(config.turn.correctionMarkers ? { correctionMarkers: config.turn.correctionMarkers } : {}),
  };
  const wallOffset = Date.now() - clock.now();
  const pacing = new PacingStats();

  const app = await buildServer({
    log,
    webRoot: join(packageRoot(), 'web'),
    maxFrameBytes: config.server.maxFrameBytes,
    health: () => ({ engines, active_sessions: registry.size, outbound_pacing: pacing.snapshot() }),
    resetStats: () => pacing.reset(),
    voice: {
      clock,
      log,
      registry,
      engines,
      internalSampleRate: config.audio.sampleRate,
      defaultOutputSampleRate: config.audio.defaultOutputSampleRate,
      heartbeatIntervalMs: config.server.heartbeatIntervalMs,
      heartbeatTimeoutMs: config.server.heartbeatTimeoutMs,
      wallTime: (at) => wallOffset + at,
      createSession(request) {
        if (request.agent && request.agent !== config.agent.name) {
          throw new UnknownAgentError(`unknown agent "${request.agent}" (available: ${config.agent.name})`);
        }
        const o = request.overrides;
        return new Session({
          callId: request.callId,
          clock,
          log: log.child({ call_id: request.callId }),
          vad,
          stt,
          llm,
          tts,
          tools,
          sampleRate: config.audio.sampleRate,
          sendAudio: (frame, dueAt) => {
            pacing.record(clock.now() - dueAt);
            request.sendAudio(frame, dueAt);
          },
          agent: {
            name: config.agent.name,
            systemPrompt: o.systemPrompt ?? config.agent.systemPrompt,
            greeting: o.greeting !== undefined ? o.greeting : config.agent.greeting,
            voice: config.agent.voice,
            turn: { ...baseTurn, ...o.turn },
            vad: { threshold: config.vad.threshold, minSpeechMs: config.vad.minSpeechMs, minSilenceMs: config.vad.minSilenceMs, ...o.vad },
          },
        });
      },
    },
  });

  return {
    app,
    pacing,
    registry,
    vad,
    async close(reason = 'server shutting down') {
      await app.close();
      registry.endAll(reason);
      await vad.close();
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`parley: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const parley = await createParley(config);
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
