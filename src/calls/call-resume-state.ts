// What a call leaves behind for a resume in another process (or after a restart): whose call it
// is, which agent version ran it, the conversation the caller heard, and where its stored rows'
// numbering stands. Saved after every turn in the session-state store (Redis when configured).
import type { ChatMessage } from '../providers/types.js';
import type { PersistenceCursor } from './call-persistence.js';

export type CallResumeState = {
  tenantId: string;
  agentId: string;
  agentVersion: number;
  transport: string;
  caller: string | null;
  history: ChatMessage[];
  cursor: PersistenceCursor;
};
