// Readiness of the provider chains: not ready when every provider of a chain has an open circuit
// (no call could get speech recognised, a reply, or speech synthesised). A single open circuit
// in a chain that still has a way out is reported in the reason and stays ready.
import type { ProviderHealth } from '../../resilience/provider-health.js';
import type { ProviderKind } from '../../resilience/resilience-events.js';
import type { ReadinessCheck } from '../readiness.js';

export type ProviderChain = { kind: ProviderKind; providers: readonly string[] };

export type ProvidersCheckOptions = {
  name?: string;
  /**
   * The configured fallback chains (every agent's). A provider the process has not used yet
   * counts as available. Default: one chain per kind, of the providers used so far.
   */
  chains?: readonly ProviderChain[];
};

export function providersCheck(health: ProviderHealth, options: ProvidersCheckOptions = {}): ReadinessCheck {
  return {
    name: options.name ?? 'providers',
    async check() {
      const providers = health.snapshot().providers;
      const isOpen = (kind: ProviderKind, provider: string): boolean =>
        providers.some((p) => p.kind === kind && p.provider === provider && p.circuit.state === 'open');
      const chains = options.chains ?? defaultChains(providers);
      const down: string[] = [];
      const degraded = new Set<string>();
      for (const chain of chains) {
        const open = chain.providers.filter((p) => isOpen(chain.kind, p));
        if (chain.providers.length > 0 && open.length === chain.providers.length) {
          down.push(`${chain.kind}: every provider's circuit is open (${chain.providers.join(', ')})`);
        } else {
          for (const p of open) degraded.add(`${chain.kind} ${p}`);
        }
      }
      const openNote = degraded.size > 0 ? `circuit open: ${[...degraded].join(', ')}` : '';
      if (down.length > 0) return { ok: false, reason: [...new Set(down), ...(openNote ? [openNote] : [])].join('; ') };
      return openNote ? { ok: true, reason: openNote } : { ok: true };
    },
  };
}

function defaultChains(providers: ReturnType<ProviderHealth['snapshot']>['providers']): ProviderChain[] {
  const byKind = new Map<ProviderKind, string[]>();
  for (const p of providers) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p.provider]);
  return [...byKind].map(([kind, names]) => ({ kind, providers: names }));
}
