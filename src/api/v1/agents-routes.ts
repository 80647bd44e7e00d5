// /v1/agents: create, list, read, replace (PUT), change (PATCH), delete, versions and rollback.
// Every change stores a new version and is audited; another tenant's agent is a plain 404.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newId } from '../../auth/ids.js';
import type { Agent } from '../../store/repository.js';
import { notFound } from '../api-error.js';
import { agentBodySchema, agentBodyToConfig, agentToJson, agentVersionToJson, configToBody, type AgentBody } from './agent-body.js';
import { checkAgentFlow } from './agent-flow-check.js';
import { restoreMaskedSecrets } from './agent-webhook-secrets.js';
import { audit } from './audit.js';
import { agentDoc, agentVersionDoc, commonErrors, errorDoc, listOf } from './doc-schemas.js';
import { defineRoute } from './route-spec.js';
import type { V1Deps } from './v1-deps.js';
import { parseInput, validationFailed } from './validation.js';

const tags = ['agents'];
const idParams = z.object({ id: z.string().min(1).max(200) });
const versionParams = idParams.extend({ version: z.coerce.number().int().min(1) });
const rollbackBody = z.strictObject({ version: z.number().int().min(1) });
const notFoundDoc = { description: 'no such agent', schema: errorDoc };
const invalidDoc = { description: 'validation_failed, with (field, reason) issues', schema: errorDoc };

export function registerAgentRoutes(v1: FastifyInstance, deps: V1Deps): void {
  const { repository } = deps;
  const changed = (tenantId: string, agentId: string) => deps.onAgentChanged?.(tenantId, agentId);
  const getAgent = async (tenantId: string, id: string): Promise<Agent> => {
    const agent = await repository.getAgent(tenantId, id);
    if (!agent) throw notFound('agent');
    return agent;
  };
  const saveVersion = async (tenantId: string, agent: Agent, body: AgentBody) => {
    await checkAgentFlow(body.flow);
    const updated = await repository.updateAgent(tenantId, agent.id, { name: body.name, config: agentBodyToConfig(body) });
    if (!updated) throw notFound('agent');
    return updated;
  };

  defineRoute(v1, {
    method: 'POST',
    url: '/agents',
    summary: 'Create an agent (version 1)',
    tags,
    access: 'agents:write',
    body: agentBodySchema,
    responses: { 201: { description: 'the agent', schema: agentDoc }, 400: invalidDoc, ...commonErrors },
    async handler({ request, reply, body, principal }) {
      await checkAgentFlow(body.flow);
      const agent = await repository.createAgent(principal.tenantId, { id: newId('agt'), name: body.name, config: agentBodyToConfig(body) });
      await audit(request, 'agent.create', 'agent', agent.id, { name: agent.name, version: agent.currentVersion });
      changed(principal.tenantId, agent.id);
      reply.status(201);
      return agentToJson(agent);
    },
  });

  defineRoute(v1, {
    method: 'GET',
    url: '/agents',
    summary: 'List agents',
    tags,
    access: 'agents:read',
    responses: { 200: { description: 'the agents', schema: listOf(agentDoc) }, ...commonErrors },
    async handler({ principal }) {
      return { items: (await repository.listAgents(principal.tenantId)).map(agentToJson) };
    },
  });

  defineRoute(v1, {
    method: 'GET',
    url: '/agents/:id',
    summary: 'Get an agent (its current version)',
    tags,
    access: 'agents:read',
    params: idParams,
    responses: { 200: { description: 'the agent', schema: agentDoc }, 404: notFoundDoc, ...commonErrors },
    async handler({ params, principal }) {
      return agentToJson(await getAgent(principal.tenantId, params.id));
    },
  });

  defineRoute(v1, {
    method: 'PUT',
    url: '/agents/:id',
    summary: 'Replace an agent (stores a new version)',
    description: 'Webhook secrets may be sent back masked as answered (••••abcd) to keep the stored secret.',
    tags,
    access: 'agents:write',
    params: idParams,
    docBody: agentBodySchema,
    responses: { 200: { description: 'the agent', schema: agentDoc }, 400: invalidDoc, 404: notFoundDoc, ...commonErrors },
    async handler({ request, params, principal }) {
      const agent = await getAgent(principal.tenantId, params.id);
      const body = await parseInput(agentBodySchema, restoreMaskedSecrets(request.body, agent.config), 'body');
      const updated = await saveVersion(principal.tenantId, agent, body);
      await audit(request, 'agent.update', 'agent', agent.id, { name: updated.name, version: updated.currentVersion });
      changed(principal.tenantId, agent.id);
      return agentToJson(updated);
    },
  });

  defineRoute(v1, {
    method: 'PATCH',
    url: '/agents/:id',
    summary: 'Change some fields of an agent (stores a new version)',
    tags,
    access: 'agents:write',
    params: idParams,
    docBody: agentBodySchema.partial(),
    responses: { 200: { description: 'the agent', schema: agentDoc }, 400: invalidDoc, 404: notFoundDoc, ...commonErrors },
    async handler({ request, params, principal }) {
      const agent = await getAgent(principal.tenantId, params.id);
      if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
        throw validationFailed([{ field: 'body', reason: 'must be an object of the fields to change' }]);
      }
      const merged = { ...configToBody(agent.name, agent.config), ...(restoreMaskedSecrets(request.body, agent.config) as object) };
      const body = await parseInput(agentBodySchema, merged, 'body');
      const updated = await saveVersion(principal.tenantId, agent, body);
      await audit(request, 'agent.update', 'agent', agent.id, { name: updated.name, version: updated.currentVersion, fields: Object.keys(request.body) });
      changed(principal.tenantId, agent.id);
      return agentToJson(updated);
    },
  });

  defineRoute(v1, {
    method: 'DELETE',
    url: '/agents/:id',
    summary: 'Delete an agent (its versions stay for the calls that used them)',
    tags,
    access: 'agents:write',
    params: idParams,
    responses: { 204: { description: 'deleted' }, 404: notFoundDoc, ...commonErrors },
    async handler({ request, reply, params, principal }) {
      const agent = await getAgent(principal.tenantId, params.id);
      if (!(await repository.deleteAgent(principal.tenantId, agent.id))) throw notFound('agent');
      await audit(request, 'agent.delete', 'agent', agent.id, { name: agent.name });
      changed(principal.tenantId, agent.id);
      reply.status(204);
    },
  });

  defineRoute(v1, {
    method: 'GET',
    url: '/agents/:id/versions',
    summary: "List an agent's versions",
    tags,
    access: 'agents:read',
    params: idParams,
    responses: { 200: { description: 'the versions, oldest first', schema: listOf(agentVersionDoc) }, 404: notFoundDoc, ...commonErrors },
    async handler({ params, principal }) {
      const agent = await getAgent(principal.tenantId, params.id);
      return { items: (await repository.listAgentVersions(principal.tenantId, agent.id)).map(agentVersionToJson) };
    },
  });

  defineRoute(v1, {
    method: 'GET',
    url: '/agents/:id/versions/:version',
    summary: 'Get one version of an agent',
    tags,
    access: 'agents:read',
    params: versionParams,
    responses: { 200: { description: 'the version', schema: agentVersionDoc }, 404: notFoundDoc, ...commonErrors },
    async handler({ params, principal }) {
      const agent = await getAgent(principal.tenantId, params.id);
      const version = await repository.getAgentVersion(principal.tenantId, agent.id, params.version);
      if (!version) throw notFound('agent version');
      return agentVersionToJson(version);
    },
  });

  defineRoute(v1, {
    method: 'POST',
    url: '/agents/:id/rollback',
    summary: "Roll back: copy an earlier version's configuration forward as a new version",
    tags,
    access: 'agents:write',
    params: idParams,
    body: rollbackBody,
    responses: { 200: { description: 'the agent at its new version', schema: agentDoc }, 400: invalidDoc, 404: notFoundDoc, ...commonErrors },
    async handler({ request, params, body, principal }) {
      const agent = await getAgent(principal.tenantId, params.id);
      if (!(await repository.getAgentVersion(principal.tenantId, agent.id, body.version))) throw notFound('agent version');
      const rolled = await repository.rollbackAgent(principal.tenantId, agent.id, body.version);
      if (!rolled) throw notFound('agent');
      await audit(request, 'agent.rollback', 'agent', agent.id, { from_version: agent.currentVersion, to_version: body.version, version: rolled.currentVersion });
      changed(principal.tenantId, agent.id);
      return agentToJson(rolled);
    },
  });
}
