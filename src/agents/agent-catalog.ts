// Finds the agent a call asks for, within the caller's tenant, from the store — with the last
// agents seen kept in memory, so calls still start (on the agents known so far) while the
// database is away, and a burst of calls costs one query per tenant per refresh interval.
import type { Repository } from '../store/repository.js';
import { runtimeAgentOf, type RuntimeAgent } from './runtime-agent.js';

export type AgentCatalogOptions = {
  /** How long a tenant's agent list is used before it is read again. */
  refreshMs: number;
  /** How long a read may take before the cached list is used instead. */
  readTimeoutMs: number;
  now: () => number;
  onStale?: (tenantId: string, err: unknown) => void;
};

export class AgentsUnavailableError extends Error {
  constructor(tenantId: string, cause: unknown) {
    super(`the agents of tenant ${tenantId} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'AgentsUnavailableError';
  }
}

export class AgentCatalog {
  private readonly byTenant = new Map<string, { agents: RuntimeAgent[]; loadedAt: number }>();

  constructor(
    private readonly repository: Repository,
    private readonly options: AgentCatalogOptions,
  ) {}

  /**
   * The tenant's agent by id or name; without a reference, `defaultName` if the tenant has it,
   * else the tenant's first agent. Undefined when there is no such agent in this tenant.
   */
  async resolve(tenantId: string, ref: string | undefined, defaultName?: string): Promise<RuntimeAgent | undefined> {
    const agents = await this.agents(tenantId);
    if (ref !== undefined) return agents.find((a) => a.agentId === ref) ?? agents.find((a) => a.name === ref);
    return (defaultName === undefined ? undefined : agents.find((a) => a.name === defaultName)) ?? agents[0];
  }

  /** Forget a tenant's list (an agent changed through the API in this process). */
  invalidate(tenantId: string): void {
    this.byTenant.delete(tenantId);
  }

  async agents(tenantId: string): Promise<RuntimeAgent[]> {
    const cached = this.byTenant.get(tenantId);
    if (cached && this.options.now() - cached.loadedAt < this.options.refreshMs) return cached.agents;
    try {
      const agents = (await withTimeout(this.repository.listAgents(tenantId), this.options.readTimeoutMs)).map(runtimeAgentOf);
      this.byTenant.set(tenantId, { agents, loadedAt: this.options.now() });
      return agents;
    } catch (err) {
      if (!cached) throw new AgentsUnavailableError(tenantId, err);
      this.options.onStale?.(tenantId, err);
      return cached.agents;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
