// The official Cartesia SDK (@cartesia/cartesia-js v4) against the simulator: if the vendor's own
// client accepts our wire format, the simulator is faithful enough to test the adapter against.
//
// Two adjustments, both about reaching a loopback server, not about the protocol:
// - The SDK's ESM build loads `ws` with a bare `require`, which is undefined in ESM, and Node 20 has
//   no global WebSocket; so the CommonJS build is loaded through createRequire.
// - The SDK forces the `wss:` scheme on the socket URL (buildURL). The simulator speaks plain ws,
//   so the SDK is given `createConnection: net.createConnection` (a ws client option it passes
//   through), which opens a plain TCP connection for that URL.
import { createRequire } from 'node:module';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cartesia as CartesiaClient } from '@cartesia/cartesia-js';
import type { TTSWS as TtsSocket } from '@cartesia/cartesia-js/resources/tts/ws';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { synthesizeSpeech } from '../../sim/sim-voice.js';

const require = createRequire(import.meta.url);
const { Cartesia } = require('@cartesia/cartesia-js') as { Cartesia: typeof CartesiaClient };
const { TTSWS } = require('@cartesia/cartesia-js/resources/tts/ws') as { TTSWS: typeof TtsSocket };

const KEY = 'sim-cartesia-key';
const FORMAT = { container: 'raw', encoding: 'pcm_s16le', sample_rate: 16000 } as const;

let sim: SimServer | null = null;
let socket: TtsSocket | null = null;
afterEach(async () => {
  socket?.close();
  socket = null;
  await sim?.close();
  sim = null;
});

async function connect(latencies = { ttsTtfbMs: 10, ttsRealtimeFactor: 40 }) {
  sim = await startSimServer({ latencies });
  const client = new Cartesia({ apiKey: KEY, baseURL: sim.httpUrl });
  socket = await client.tts.websocket({ createConnection: net.createConnection });
  const errors: Error[] = [];
  socket.on('error', (e) => errors.push(e));
  return { sim, socket, errors };
}

describe('cartesia simulator with the official SDK', () => {
  it('a context receives chunks, word timestamps and done', async () => {
    const { sim, socket, errors } = await connect();
    const ctx = socket.context({ model_id: 'sonic-2', voice: { mode: 'id', id: 'voice-a' }, output_format: FORMAT, add_timestamps: true });
    const text = 'Good morning, nice to meet you. ';
    await ctx.push({ transcript: text });
    await ctx.no_more_inputs();
    const types: string[] = [];
    const audio: Uint8Array[] = [];
    const words: string[] = [];
    for await (const event of ctx.receive({ timeout: 3000 })) {
      types.push(event.type);
      if (event.type === 'chunk') audio.push(event.audio!);
      if (event.type === 'timestamps') words.push(...(event.word_timestamps?.words ?? []));
    }
    expect(errors).toEqual([]);
    expect(types.at(-1)).toBe('done');
    expect(types.filter((t) => t === 'chunk').length).toBeGreaterThan(3);
    const expected = synthesizeSpeech(text, 16000, 'voice-a');
    expect(Buffer.concat(audio).length).toBe(expected.samples.length * 2);
    expect(words).toEqual(expected.words.map((w) => w.word));
    // The SDK authenticated with its own headers (Bearer + its Cartesia-Version).
    expect(sim.control.connections).toHaveLength(1);
  });

  it('generate() on the socket yields the same stream for a one-shot request', async () => {
    const { socket } = await connect();
    const types: string[] = [];
    for await (const event of socket.generate({
      model_id: 'sonic-2',
      transcript: 'Short reply.',
      voice: { mode: 'id', id: 'voice-b' },
      output_format: FORMAT,
    })) {
      types.push(event.type);
    }
    expect(types[0]).toBe('chunk');
    expect(types.at(-1)).toBe('done');
    expect(types).not.toContain('timestamps');
  });

  it('cancel stops the context on the server: no chunk is sent for it afterwards', async () => {
    const { sim, socket } = await connect({ ttsTtfbMs: 10, ttsRealtimeFactor: 2 });
    const ctx = socket.context({ model_id: 'sonic-2', voice: { mode: 'id', id: 'voice-a' }, output_format: FORMAT });
    await ctx.push({ transcript: 'A long sentence that would keep streaming for quite some time if nobody stopped it.' });
    await ctx.no_more_inputs();
    let chunks = 0;
    for await (const event of ctx.receive({ timeout: 3000 })) {
      if (event.type === 'chunk' && ++chunks === 2) break;
    }
    await ctx.cancel();
    const conn = sim.control.last('cartesia')!;
    const cancel = await sim.control.waitFor(() => conn.events.find((e) => e.type === 'cancel' && e.detail === ctx.contextId));
    await new Promise((r) => setTimeout(r, 200));
    expect(conn.events.filter((e) => e.type === 'chunk' && e.detail === ctx.contextId && e.at > cancel.at)).toEqual([]);
    expect(conn.events.some((e) => e.type === 'done' && e.detail === ctx.contextId)).toBe(false);
  });

  it('a validation error reaches the SDK as an error event for that context', async () => {
    const { socket, errors } = await connect();
    const ctx = socket.context({ model_id: 'not-a-model', voice: { mode: 'id', id: 'voice-a' }, output_format: FORMAT });
    await ctx.push({ transcript: 'Hello.' });
    const seen: string[] = [];
    await expect(async () => {
      for await (const event of ctx.receive({ timeout: 3000 })) seen.push(event.type);
    }).rejects.toThrow(/not valid/);
    expect(seen).toEqual(['error']);
    expect(errors.length).toBe(1);
  });

  it('a wrong key fails the connection with 401', async () => {
    sim = await startSimServer();
    const client = new Cartesia({ apiKey: 'wrong-key', baseURL: sim.httpUrl });
    const ws = new TTSWS(client, { createConnection: net.createConnection });
    const errors: Error[] = [];
    ws.on('error', (e) => errors.push(e));
    await expect(ws.connect()).rejects.toMatchObject({ message: expect.stringContaining('401') });
    expect(sim.control.connections).toHaveLength(0);
  });
});
