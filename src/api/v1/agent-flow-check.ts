// Checks an agent's flow before it is saved: a flow file must exist and load; an inline flow
// document must pass the same schema and graph checks as a file. Problems come back as
// validation_failed issues under the `flow` field.
import { FlowValidationError, loadFlow, parseFlow, type FlowIssue } from '../../flows/index.js';
import type { FieldIssue } from '../api-error.js';
import type { AgentBody } from './agent-body.js';
import { validationFailed } from './validation.js';

function issueField(issue: FlowIssue): string {
  const parts = ['flow'];
  if (issue.node !== undefined) parts.push('nodes', issue.node);
  if (issue.field !== undefined) parts.push(issue.field.replace(/\[(\d+)\]/g, '.$1'));
  return parts.join('.');
}

function flowIssues(err: unknown): FieldIssue[] {
  if (err instanceof FlowValidationError) return err.issues.map((i) => ({ field: issueField(i), reason: i.message }));
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return [{ field: 'flow', reason: 'no such flow file' }];
  if (code === 'EISDIR') return [{ field: 'flow', reason: 'is a directory, not a flow file' }];
  return [{ field: 'flow', reason: `cannot be read: ${(err as Error).message}` }];
}

export async function checkAgentFlow(flow: AgentBody['flow']): Promise<void> {
  if (flow === null) return;
  try {
    if (typeof flow === 'string') await loadFlow(flow);
    else parseFlow(JSON.stringify(flow), 'inline flow');
  } catch (err) {
    throw validationFailed(flowIssues(err), 'the agent flow is not valid');
  }
}
