import { describe, expect, it } from 'vitest';
import { CallControls, type CallControl } from '../../src/calls/call-control.js';
import type { ToolCall } from '../../src/providers/types.js';
import { callControlTools } from '../../src/tools/call-control-tools.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/tool-registry.js';
import { transferTarget } from '../../src/tools/transfer-target.js';

const ctx = (callId = 'call-1'): ToolContext => ({ callId, turnId: 'turn-2', signal: new AbortController().signal });
const call = (name: string, args: object | string): ToolCall => ({ id: 'tc-1', name, arguments: typeof args === 'string' ? args : JSON.stringify(args) });
const errorOf = (content: string): string => (JSON.parse(content) as { error: string }).error;

function setup() {
  const done: string[] = [];
  const controls = new CallControls();
  const control: CallControl = {
    hangup: async (reason) => void done.push(`hangup ${reason}`),
    transfer: async (target, mode) => void done.push(`transfer ${target} ${mode}`),
    sendDtmf: async (digits) => void done.push(`dtmf ${digits}`),
  };
  controls.register('call-1', control);
  const registry = new ToolRegistry();
  for (const tool of callControlTools(controls)) registry.register(tool);
  return { done, controls, registry };
}

describe('call control tools', () => {
  it('describes end_call, transfer_call and send_dtmf with their arguments', () => {
    const { registry } = setup();
    const specs = registry.specs();
    expect(specs.map((s) => s.name)).toEqual(['end_call', 'transfer_call', 'send_dtmf']);
    const [end, transfer, dtmf] = specs;
    expect(end.parameters).toMatchObject({ type: 'object', properties: { reason: { type: 'string' } } });
    expect(end.parameters.required ?? []).toEqual([]);
    expect(transfer.parameters).toMatchObject({ properties: { target: { type: 'string' }, mode: { enum: ['blind', 'warm'] }, reason: { type: 'string' } }, required: ['target'] });
    expect(dtmf.parameters).toMatchObject({ properties: { digits: { type: 'string', pattern: '^[0-9*#A-D]{1,32}$' } }, required: ['digits'] });
  });

  it('end_call hangs up with the given reason, or a default one, and tells the model to say goodbye', async () => {
    const { registry, done } = setup();
    const first = await registry.execute(call('end_call', { reason: 'caller said goodbye' }), ctx());
    expect(first.ok).toBe(true);
    expect(JSON.parse(first.content)).toMatchObject({ ok: true, status: 'ending' });
    expect(JSON.parse(first.content).note).toContain('goodbye');
    await registry.execute(call('end_call', ''), ctx());
    expect(done).toEqual(['hangup caller said goodbye', 'hangup the agent ended the call']);
  });

  it('transfer_call dials the number without separators, blind unless warm is asked for', async () => {
    const { registry, done } = setup();
    const blind = await registry.execute(call('transfer_call', { target: '+1 (555) 123-4567', reason: 'wants sales' }), ctx());
    expect(JSON.parse(blind.content)).toEqual({ ok: true, status: 'transferred', target: '+15551234567', mode: 'blind' });
    await registry.execute(call('transfer_call', { target: 'sip:desk@10.0.0.5:5060;transport=tcp', mode: 'warm' }), ctx());
    expect(done).toEqual(['transfer +15551234567 blind', 'transfer sip:desk@10.0.0.5:5060;transport=tcp warm']);
  });

  it('transfer_call refuses what is neither an E.164 number nor a SIP URI, without calling the control', async () => {
    const { registry, done } = setup();
    for (const target of ['555-1234', '5551234567', '+0123456', 'sales', 'tel:+15551234567', 'sip:', 'sip:desk@exa mple.com', '']) {
      const outcome = await registry.execute(call('transfer_call', { target }), ctx());
      expect(outcome.ok).toBe(false);
      expect(errorOf(outcome.content)).toContain('invalid arguments for transfer_call: target');
    }
    const mode = await registry.execute(call('transfer_call', { target: '+15551234567', mode: 'cold' }), ctx());
    expect(errorOf(mode.content)).toContain('mode');
    expect(done).toEqual([]);
  });

  it('send_dtmf presses 1 to 32 keypad keys and nothing else', async () => {
    const { registry, done } = setup();
    expect((await registry.execute(call('send_dtmf', { digits: '12#*AD' }), ctx())).content).toBe(JSON.stringify({ ok: true, sent: '12#*AD' }));
    for (const digits of ['', '12x', '1 2', 'a', '1'.repeat(33)]) {
      const outcome = await registry.execute(call('send_dtmf', { digits }), ctx());
      expect(outcome.ok).toBe(false);
      expect(errorOf(outcome.content)).toContain('digits');
    }
    expect(done).toEqual(['dtmf 12#*AD']);
  });

  it('a call without a control gets an error result that says why', async () => {
    const { registry } = setup();
    const cases: [string, object, string][] = [
      ['end_call', {}, 'this call cannot be ended from here (not a phone call)'],
      ['transfer_call', { target: '+15551234567' }, 'this call cannot be transferred (not a phone call)'],
      ['send_dtmf', { digits: '1' }, 'this call cannot send keypad tones (not a phone call)'],
    ];
    for (const [name, args, message] of cases) {
      const outcome = await registry.execute(call(name, args), ctx('browser-call'));
      expect(outcome.ok).toBe(false);
      expect(errorOf(outcome.content)).toBe(`${name} failed: ${message}`);
    }
  });

  it("passes on the control's refusal as an error result", async () => {
    const controls = new CallControls();
    controls.register('call-1', {
      hangup: async () => {},
      transfer: async () => {
        throw new Error('the target did not answer');
      },
      sendDtmf: async () => {},
    });
    const registry = new ToolRegistry();
    for (const tool of callControlTools(controls)) registry.register(tool);
    const outcome = await registry.execute(call('transfer_call', { target: '+15551234567', mode: 'warm' }), ctx());
    expect(outcome).toEqual({ ok: false, content: JSON.stringify({ error: 'transfer_call failed: the target did not answer' }) });
  });
});

describe('CallControls', () => {
  it('finds a call by id until released, and an old release never removes a newer control', () => {
    const controls = new CallControls();
    const control = (): CallControl => ({ hangup: async () => {}, transfer: async () => {}, sendDtmf: async () => {} });
    const first = control();
    const second = control();
    const releaseFirst = controls.register('call-1', first);
    expect(controls.get('call-1')).toBe(first);
    const releaseSecond = controls.register('call-1', second);
    releaseFirst();
    expect(controls.get('call-1')).toBe(second);
    releaseSecond();
    expect(controls.get('call-1')).toBeUndefined();
    expect(controls.size).toBe(0);
  });
});

describe('transferTarget', () => {
  it('reads E.164 numbers, written with or without separators', () => {
    expect(transferTarget('+15551234567')).toBe('+15551234567');
    expect(transferTarget(' +44 20 7946 0958 ')).toBe('+442079460958');
    expect(transferTarget('+1.555.123.4567')).toBe('+15551234567');
    expect(transferTarget('+1234567890123456')).toBeNull();
    expect(transferTarget('15551234567')).toBeNull();
  });

  it('reads SIP URIs as they are', () => {
    expect(transferTarget('sip:alice@example.com')).toBe('sip:alice@example.com');
    expect(transferTarget('SIPS:+15551234567@carrier.example;user=phone')).toBe('SIPS:+15551234567@carrier.example;user=phone');
    expect(transferTarget('sip:[2001:db8::1]:5060')).toBe('sip:[2001:db8::1]:5060');
    expect(transferTarget('sip:<alice@example.com>')).toBeNull();
    expect(transferTarget(`sip:${'a'.repeat(300)}@example.com`)).toBeNull();
  });
});
