// Tools every agent has unless its configuration removes them.
import { z } from 'zod';
import type { Tool } from './tool-registry.js';

export const currentTimeTool: Tool<{ timezone?: string }> = {
  name: 'get_current_time',
  description: 'The current date and time, optionally in an IANA time zone such as "Europe/Paris".',
  schema: z.object({ timezone: z.string().min(1).max(64).optional() }).strict(),
  async run({ timezone }) {
    const now = new Date();
    try {
      return { iso: now.toISOString(), local: now.toLocaleString('en-US', { timeZone: timezone ?? 'UTC', dateStyle: 'full', timeStyle: 'short' }) };
    } catch {
      throw new Error(`unknown time zone "${timezone}"`);
    }
  },
};
