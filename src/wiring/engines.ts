// The concrete speech and language engines, built by name and shared across calls: part of the
// composition root (with main.ts), the only other place that picks concrete provider classes.
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { RuntimeAgent } from '../agents/runtime-agent.js';
import { AppointmentStore } from '../appointments/appointment-store.js';
import { registerAppointmentTools } from '../appointments/appointment-tools.js';
import type { Clock } from '../clock.js';
import { ConfigError, type Config } from '../config.js';
import { VENDOR_KEY_ENV, type ProviderChains, type SttEngine, type TtsEngine } from '../config-providers.js';
import { FlowLlm, parseFlow, type Flow } from '../flows/index.js';
import { CartesiaTts } from '../providers/cartesia/cartesia-tts.js';
import { DeepgramStt } from '../providers/deepgram/deepgram-stt.js';
import { DeepgramTts } from '../providers/deepgram/deepgram-tts.js';
import { ElevenLabsTts } from '../providers/elevenlabs/elevenlabs-tts.js';
import { EspeakTts } from '../providers/local/espeak-tts.js';
import { LlamaLlm } from '../providers/local/llama-llm.js';
import { bookingDomainPhrases } from '../providers/local/pocketsphinx-booking-domain.js';
import { PocketsphinxStt } from '../providers/local/pocketsphinx-stt.js';
import { WhisperStt } from '../providers/local/whisper-stt.js';
import { OpenAiLlm } from '../providers/openai/openai-llm.js';
import { OpenAiTranscriber } from '../providers/openai/openai-transcriber.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../providers/simulated/index.js';
import type { LlmProvider, SttProvider, TtsProvider } from '../providers/types.js';
import { currentTimeTool } from '../tools/builtin-tools.js';
import { ToolRegistry } from '../tools/tool-registry.js';
import { callControlTools } from '../tools/call-control-tools.js';
import type { CallControls } from '../calls/call-control.js';

/** The concrete engines by name, built once and shared by every call (STT streams are per call). */
export class Engines {
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
    /** What the `call` tools act on: the live calls' controls. */
    private readonly callControls: CallControls,
  ) {}

  /** The tools an agent may call. */
  tools(agent: RuntimeAgent): ToolRegistry {
    let registry = this.toolsets.get(agent.key);
    if (!registry) {
      registry = new ToolRegistry();
      if (agent.tools.includes('time')) registry.register(currentTimeTool);
      if (agent.tools.includes('appointments')) registerAppointmentTools(registry, this.appointmentStore());
      if (agent.tools.includes('call')) for (const tool of callControlTools(this.callControls)) registry.register(tool);
      this.toolsets.set(agent.key, registry);
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
  prepare(agents: readonly RuntimeAgent[], chains: (agent: RuntimeAgent) => ProviderChains, skip: { flows: boolean; recognizers: boolean }): void {
    for (const agent of agents) {
      if ((agent.flow || agent.inlineFlow) && !skip.flows) this.flow(agent);
      if (chains(agent).stt.includes('pocketsphinx') && !skip.recognizers) this.stt('pocketsphinx', 'startup', agent);
    }
  }

  /** The agent's conversation flow, loaded and validated once (errors name the file, node and field). */
  flow(agent: RuntimeAgent): Flow {
    let flow = this.flows.get(agent.key);
    if (!flow) {
      let text: string;
      let source: string;
      if (agent.inlineFlow) {
        // A flow stored with the agent (the API): JSON is YAML, so the one parser reads it.
        text = JSON.stringify(agent.inlineFlow);
        source = `agent ${agent.name} (version ${agent.version}) flow`;
      } else {
        if (!agent.flow) throw new ConfigError(`agent "${agent.name}" has no flow`);
        source = agent.flow;
        try {
          text = readFileSync(agent.flow, 'utf8');
        } catch (err) {
          throw new ConfigError(`agent "${agent.name}": cannot read the flow file ${agent.flow} (agent.flow): ${(err as Error).message}`);
        }
      }
      flow = parseFlow(text, source, { knownTools: this.tools(agent).specs().map((t) => t.name) });
      this.flows.set(agent.key, flow);
    }
    return flow;
  }

  private key(vendor: keyof typeof VENDOR_KEY_ENV): string {
    const key = this.env[VENDOR_KEY_ENV[vendor]];
    if (!key) throw new ConfigError(`${vendor} needs the environment variable ${VENDOR_KEY_ENV[vendor]}`);
    return key;
  }

  /** A fresh STT engine for one call (`tag` labels the call at the vendor). */
  stt(name: SttEngine, tag: string, agent: RuntimeAgent): { engine: SttProvider; model: string } {
    const p = this.config.providers;
    const sim = this.config.simulated;
    switch (name) {
      case 'pocketsphinx': {
        // One per agent: building the domain model takes tens of ms, and calls only open streams on it.
        let engine = this.recognizers.get(agent.key);
        if (!engine) {
          // A flow agent listens for its domain: the booking phrases plus the flow's own examples.
          const phrases = agent.flow || agent.inlineFlow ? [...bookingDomainPhrases(), ...Object.values(this.flow(agent).intents).flat()] : undefined;
          engine = new PocketsphinxStt(phrases ? { phrases } : {});
          this.recognizers.set(agent.key, engine);
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

  llm(name: string, agent: RuntimeAgent): LlmProvider {
    const key = name === 'flow' ? `flow:${agent.key}` : name;
    let engine = this.llms.get(key);
    if (!engine) {
      engine = this.buildLlm(name, agent);
      this.llms.set(key, engine);
    }
    return engine;
  }

  private buildLlm(name: string, agent: RuntimeAgent): LlmProvider {
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
