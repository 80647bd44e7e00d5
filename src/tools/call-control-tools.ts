// The agent's hands on its own call: end it, transfer it, send keypad tones. Each tool acts on
// the control the composition root registered for the call (src/calls/call-control.ts); a call
// without one (not a phone call, or already over) gets an error result the LLM can explain.
import { z } from 'zod';
import type { CallControl, CallControls } from '../calls/call-control.js';
import type { Tool, ToolContext } from './tool-registry.js';
import { TRANSFER_TARGET_RULE, transferTarget } from './transfer-target.js';

const reasonArg = z.string().trim().min(1).max(200);

export const EndCallArgs = z
  .object({ reason: reasonArg.optional().describe('Why the call ends, for the call record (e.g. "caller said goodbye")') })
  .strict();

export const TransferCallArgs = z
  .object({
    target: z
      .string()
      .max(256)
      .refine((t) => transferTarget(t) !== null, `must be ${TRANSFER_TARGET_RULE}`)
      .describe(`Where to transfer the caller: ${TRANSFER_TARGET_RULE}`),
    mode: z
      .enum(['blind', 'warm'])
      .optional()
      .describe('blind (default): hand the caller over and leave; warm: ring the target first and connect the caller once it answers'),
    reason: reasonArg.optional().describe('Why the caller is transferred, for the call record'),
  })
  .strict();

export const SendDtmfArgs = z
  .object({
    digits: z
      .string()
      .regex(/^[0-9*#A-D]{1,32}$/, 'digits 0-9, *, #, A-D, 1 to 32 of them')
      .describe('Keypad keys to press on the line, e.g. "1" to choose a menu option or "1234#"'),
  })
  .strict();

export function callControlTools(controls: CallControls): Tool[] {
  const controlOf = (ctx: ToolContext, cannot: string): CallControl => {
    const control = controls.get(ctx.callId);
    if (!control) throw new Error(`this call cannot ${cannot} (not a phone call)`);
    return control;
  };

  const endCall: Tool<z.infer<typeof EndCallArgs>> = {
    name: 'end_call',
    description:
      'Hang up the call. Use it when the conversation is over (the caller said goodbye or asked to end the call). ' +
      'The call ends once your reply has been spoken, so say goodbye in the same reply.',
    schema: EndCallArgs,
    async run({ reason }, ctx) {
      await controlOf(ctx, 'be ended from here').hangup(reason ?? 'the agent ended the call');
      return {
        ok: true,
        status: 'ending',
        note: 'The call ends as soon as your reply has been spoken. If you have not said goodbye yet, say it now, briefly; otherwise say nothing more.',
      };
    },
  };

  const transferCall: Tool<z.infer<typeof TransferCallArgs>> = {
    name: 'transfer_call',
    description:
      'Transfer the caller to another phone number or SIP address (a person, another department). ' +
      'Tell the caller first, in the same reply, before calling this tool: that sentence is played before the transfer.',
    schema: TransferCallArgs,
    async run({ target, mode }, ctx) {
      const to = transferTarget(target)!;
      const how = mode ?? 'blind';
      await controlOf(ctx, 'be transferred').transfer(to, how);
      return { ok: true, status: 'transferred', target: to, mode: how };
    },
  };

  const sendDtmf: Tool<z.infer<typeof SendDtmfArgs>> = {
    name: 'send_dtmf',
    description: 'Press keys on the phone keypad (DTMF tones), e.g. to choose an option in an automated phone menu you are talking to.',
    schema: SendDtmfArgs,
    async run({ digits }, ctx) {
      await controlOf(ctx, 'send keypad tones').sendDtmf(digits);
      return { ok: true, sent: digits };
    },
  };

  return [endCall, transferCall, sendDtmf];
}
