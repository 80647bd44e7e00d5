import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { ToolCall } from '../../src/providers/types.js';
import { currentTimeTool } from '../../src/tools/builtin-tools.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/tool-registry.js';

const ctx = (): ToolContext => ({ callId: 'call-1', turnId: 'turn-3', signal: new AbortController().signal });
const call = (name: string, args: string): ToolCall => ({ id: 'tc-1', name, arguments: args });
const errorOf = (content: string): string => (JSON.parse(content) as { error: string }).error;

function bookingRegistry(seen: unknown[] = []) {
  return new ToolRegistry().register({
    name: 'book_table',
    description: 'Books a table.',
    schema: z.object({ people: z.number().int().min(1).max(12), name: z.string().min(1), note: z.string().optional() }),
    async run(args, context) {
      seen.push({ args, callId: context.callId, turnId: context.turnId });
      return { confirmed: true, people: args.people };
    },
  });
}

describe('ToolRegistry', () => {
  it('describes each tool with a JSON Schema of its arguments', () => {
    const registry = bookingRegistry().register(currentTimeTool);
    expect(registry.size).toBe(2);
    const specs = registry.specs();
    expect(specs.map((s) => s.name)).toEqual(['book_table', 'get_current_time']);
    expect(specs[0].description).toBe('Books a table.');
    expect(specs[0].parameters).toMatchObject({
      type: 'object',
      properties: {
        people: { type: 'integer', minimum: 1, maximum: 12 },
        name: { type: 'string', minLength: 1 },
        note: { type: 'string' },
      },
    });
    expect([...(specs[0].parameters.required as string[])].sort()).toEqual(['name', 'people']);
    expect(specs[1].parameters).toMatchObject({
      type: 'object',
      properties: { timezone: { type: 'string', minLength: 1, maxLength: 64 } },
      additionalProperties: false,
    });
    expect(specs[1].parameters.required).toBeUndefined();
  });

  it('runs a valid call with the parsed arguments and its context, returning JSON', async () => {
    const seen: unknown[] = [];
    const outcome = await bookingRegistry(seen).execute(call('book_table', '{"people": 4, "name": "Ada"}'), ctx());
    expect(outcome).toEqual({ ok: true, content: '{"confirmed":true,"people":4}' });
    expect(seen).toEqual([{ args: { people: 4, name: 'Ada' }, callId: 'call-1', turnId: 'turn-3' }]);
  });

  it('passes a string result through and turns undefined into null', async () => {
    const registry = new ToolRegistry()
      .register({ name: 'say', description: 's', schema: z.object({}), run: async () => 'plain words' })
      .register({ name: 'nothing', description: 'n', schema: z.object({}), run: async () => undefined });
    expect(await registry.execute(call('say', '{}'), ctx())).toEqual({ ok: true, content: 'plain words' });
    // Empty arguments are read as an empty object.
    expect(await registry.execute(call('nothing', '  '), ctx())).toEqual({ ok: true, content: 'null' });
  });

  it('reports an unknown tool', async () => {
    const outcome = await bookingRegistry().execute(call('launch_rocket', '{}'), ctx());
    expect(outcome.ok).toBe(false);
    expect(errorOf(outcome.content)).toBe('unknown tool "launch_rocket"');
  });

  it('reports arguments that are not JSON without running the tool', async () => {
    const seen: unknown[] = [];
    const outcome = await bookingRegistry(seen).execute(call('book_table', '{"people": 4,'), ctx());
    expect(outcome.ok).toBe(false);
    expect(errorOf(outcome.content)).toBe('arguments of book_table are not valid JSON');
    expect(seen).toEqual([]);
  });

  it('reports schema violations naming each bad field, without running the tool', async () => {
    const seen: unknown[] = [];
    const outcome = await bookingRegistry(seen).execute(call('book_table', '{"people": 40}'), ctx());
    expect(outcome.ok).toBe(false);
    const error = errorOf(outcome.content);
    expect(error).toMatch(/^invalid arguments for book_table: /);
    expect(error).toMatch(/people: [^;]*12/);
    expect(error).toMatch(/name: /);
    expect(seen).toEqual([]);
  });

  it('reports arguments that are not an object', async () => {
    const outcome = await bookingRegistry().execute(call('book_table', '[1, 2]'), ctx());
    expect(outcome.ok).toBe(false);
    expect(errorOf(outcome.content)).toMatch(/^invalid arguments for book_table: \(arguments\): /);
  });

  it('turns a throwing tool into an error result', async () => {
    const registry = new ToolRegistry().register({
      name: 'flaky',
      description: 'f',
      schema: z.object({}),
      run: async () => {
        throw new Error('backend is down');
      },
    });
    expect(await registry.execute(call('flaky', '{}'), ctx())).toEqual({
      ok: false,
      content: JSON.stringify({ error: 'flaky failed: backend is down' }),
    });
  });
});

describe('get_current_time', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2024-06-01T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const registry = () => new ToolRegistry().register(currentTimeTool);
  const result = (content: string) => JSON.parse(content) as { iso: string; local: string };

  it('gives the time in UTC by default', async () => {
    const outcome = await registry().execute(call('get_current_time', '{}'), ctx());
    expect(outcome.ok).toBe(true);
    const { iso, local } = result(outcome.content);
    expect(iso).toBe('2024-06-01T12:00:00.000Z');
    expect(local).toMatch(/^Saturday, June 1, 2024(,| at) 12:00\sPM$/);
  });

  it('gives the local time of a valid IANA zone', async () => {
    const outcome = await registry().execute(call('get_current_time', '{"timezone":"Asia/Tokyo"}'), ctx());
    expect(outcome.ok).toBe(true);
    expect(result(outcome.content).local).toMatch(/^Saturday, June 1, 2024(,| at) 9:00\sPM$/);
  });

  it('reports an unknown zone by name', async () => {
    const outcome = await registry().execute(call('get_current_time', '{"timezone":"Mars/Olympus_Mons"}'), ctx());
    expect(outcome).toEqual({
      ok: false,
      content: JSON.stringify({ error: 'get_current_time failed: unknown time zone "Mars/Olympus_Mons"' }),
    });
  });

  it('rejects arguments it does not know', async () => {
    const outcome = await registry().execute(call('get_current_time', '{"zone":"UTC"}'), ctx());
    expect(outcome.ok).toBe(false);
    expect(errorOf(outcome.content)).toContain('"zone"');
  });
});
