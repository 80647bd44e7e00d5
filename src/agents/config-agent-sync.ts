// At startup, the agents of the configuration file become stored agents of the default tenant:
// created when missing (by name), given a new version when their file definition changed.
// Webhooks and turn settings added through the API are kept.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { AgentConfig } from '../config.js';
import type { Repository } from '../store/repository.js';
import { storedConfigOf } from './runtime-agent.js';

export type SyncResult = { created: string[]; updated: string[]; unchanged: string[] };

export async function syncConfigAgents(repository: Repository, tenantId: string, agents: readonly AgentConfig[]): Promise<SyncResult> {
  const result: SyncResult = { created: [], updated: [], unchanged: [] };
  const stored = await repository.listAgents(tenantId);
  for (const agent of agents) {
    const existing = stored.find((a) => a.name === agent.name);
    if (!existing) {
      // The id comes from the name, so instances starting together create the agent once.
      const id = `agt_cfg_${createHash('sha256').update(`${tenantId}\n${agent.name}`).digest('hex').slice(0, 20)}`;
      try {
        await repository.createAgent(tenantId, { id, name: agent.name, config: storedConfigOf(agent) });
        result.created.push(agent.name);
      } catch {
        if (await repository.getAgent(tenantId, id)) {
          // Another instance created it first: that is the agent.
          result.unchanged.push(agent.name);
        } else {
          // The id is taken by a deleted agent of that name: the file brings it back as a new one.
          await repository.createAgent(tenantId, { id: `${id}_${Date.now().toString(36)}`, name: agent.name, config: storedConfigOf(agent) });
          result.created.push(agent.name);
        }
      }
      continue;
    }
    const wanted = storedConfigOf(agent, existing.config);
    const current = { ...existing.config, greeting: existing.config.greeting ?? null, webhooks: existing.config.webhooks ?? [] };
    if (isDeepStrictEqual(wanted, current)) {
      result.unchanged.push(agent.name);
    } else {
      await repository.updateAgent(tenantId, existing.id, { config: wanted });
      result.updated.push(agent.name);
    }
  }
  return result;
}
