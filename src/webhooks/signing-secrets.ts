// Finds the secret a delivery is signed with: the one in the webhook list of the agent version the
// delivery names. Versions never change once written, so found versions are cached.
import type { AgentVersion, Repository, WebhookDelivery } from '../store/repository.js';

const MAX_CACHED_VERSIONS = 1000;

export class SigningSecrets {
  private readonly versions = new Map<string, AgentVersion>();

  constructor(private readonly repository: Repository) {}

  /** The secret, or an explanation of why there is none. */
  async secretFor(delivery: WebhookDelivery): Promise<{ secret: string } | { missing: string }> {
    const { agentId, agentVersion, webhookIndex } = delivery;
    if (agentId === null || agentVersion === null || webhookIndex === null) return { missing: 'delivery names no agent webhook to sign with' };
    const version = await this.version(delivery.tenantId, agentId, agentVersion);
    if (!version) return { missing: `agent ${agentId} version ${agentVersion} not found` };
    const secret = version.config.webhooks?.[webhookIndex]?.secret;
    if (typeof secret !== 'string' || !secret) return { missing: `agent ${agentId} version ${agentVersion} has no webhook ${webhookIndex} secret` };
    return { secret };
  }

  private async version(tenantId: string, agentId: string, version: number): Promise<AgentVersion | undefined> {
    const key = JSON.stringify([tenantId, agentId, version]);
    const cached = this.versions.get(key);
    if (cached) return cached;
    const found = await this.repository.getAgentVersion(tenantId, agentId, version);
    if (found) {
      if (this.versions.size >= MAX_CACHED_VERSIONS) this.versions.clear();
      this.versions.set(key, found);
    }
    return found;
  }
}
