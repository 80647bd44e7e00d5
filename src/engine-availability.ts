// At startup: the local engines the configuration names that cannot run on this machine (their
// Debian packages are missing) are left out of their chains, so Parley starts with what it has,
// and each is logged once with what to install.
import { allAgents, type AgentConfig, type Config } from './config.js';
import type { Logger } from './log.js';
import { unavailableLocalEngines, usableChain, type LocalEngineProbe, type UnavailableEngine } from './providers/local/local-availability.js';

export function withAvailableEngines(config: Config, log: Logger, probe: LocalEngineProbe = {}): { config: Config; unavailable: UnavailableEngine[] } {
  const p = config.providers;
  const chains = [p, p.economy, ...allAgents(config).map((a) => a.providers ?? {})];
  const unavailable = unavailableLocalEngines(
    { stt: chains.flatMap((c) => c.stt ?? []), tts: chains.flatMap((c) => c.tts ?? []) },
    probe,
  );
  if (unavailable.length === 0) return { config, unavailable };

  const trim = <T extends { stt?: Config['providers']['stt']; tts?: Config['providers']['tts'] }>(c: T): T => ({
    ...c,
    ...(c.stt ? { stt: usableChain(c.stt, unavailable) } : {}),
    ...(c.tts ? { tts: usableChain(c.tts, unavailable) } : {}),
  });
  const agent = <A extends AgentConfig>(a: A): A => (a.providers ? { ...a, providers: trim(a.providers) } : a);
  const adjusted: Config = {
    ...config,
    providers: { ...trim(p), economy: trim(p.economy) },
    agent: agent(config.agent),
    agents: config.agents.map(agent),
  };
  for (const u of unavailable) {
    const instead = u.kind === 'stt' ? adjusted.providers.stt : adjusted.providers.tts;
    log.warn(
      { engine: u.engine, reason: u.reason, install: u.install },
      `${u.engine} cannot run here (${u.reason}); install it with \`${u.install}\`. Until then ${u.kind.toUpperCase()} uses ${instead.join(' > ')}`,
    );
  }
  return { config: adjusted, unavailable };
}
