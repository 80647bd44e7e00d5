// What the server publishes on the event bus for every timeline event: the event with the tenant
// and agent it belongs to, so followers in any process can check access without the database.
import type { TimelineEvent } from '../session/timeline.js';

export type CallBusEvent = {
  tenantId: string;
  agentId: string;
  event: TimelineEvent;
};
