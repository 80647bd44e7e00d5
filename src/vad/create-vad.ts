// Picks the detector: Silero when it loads, otherwise the energy fallback with one warning.
import type { EnergyVadOptions } from './energy-vad.js';
import { EnergyVad } from './energy-vad.js';
import { SileroVad } from './silero-vad.js';
import type { Vad, VadLogger } from './vad.js';

export interface CreateVadOptions {
  prefer: 'silero' | 'energy';
  logger?: VadLogger;
  /** Silero model to load instead of the packaged one. */
  modelPath?: string;
  /** Most windows in one batched Silero run. */
  maxBatch?: number;
  energy?: EnergyVadOptions;
}

const consoleLogger: VadLogger = { warn: (obj, msg) => console.warn(msg, obj) };

export async function createVad(options: CreateVadOptions): Promise<Vad> {
  const logger = options.logger ?? consoleLogger;
  if (options.prefer === 'silero') {
    try {
      return await SileroVad.load({ modelPath: options.modelPath, maxBatch: options.maxBatch, logger });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      logger.warn({ reason }, `Silero VAD unavailable, using the energy VAD instead: ${reason}`);
    }
  }
  return new EnergyVad(options.energy);
}
