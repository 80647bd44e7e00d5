// The SIP load generator of the `sip` bench step: many calls from one SipUserAgent (Parley's own
// signalling stack, as a UAC) to a Parley server, each with a plain UDP socket for RTP. Every call
// sends its caller audio as PCMU every 20 ms from one shared timer, and timestamps every RTP packet
// Parley sends back, so outbound jitter is measured on the wire, per RFC 3550: for consecutive
// packets, D = (arrival difference) - (RTP timestamp difference).
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { muLawEncode } from '../../src/audio/g711.js';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { createOffer, readAnswer } from '../../src/transports/sip/media/sdp-negotiation.js';
import type { SipDialog } from '../../src/transports/sip/sip-dialog.js';
import { SipUserAgent } from '../../src/transports/sip/sip-user-agent.js';

const FRAME = 160;

type LoadCall = {
  socket: Socket;
  dialog: SipDialog | null;
  remote: { address: string; port: number } | null;
  seq: number;
  timestamp: number;
  ssrc: number;
  cursor: number;
  /** Last received packet: arrival ms and RTP timestamp, for D. */
  last: { arrival: number; ts: number; seq: number } | null;
  received: number;
};

export type LoadResult = {
  answered: number;
  failed: string[];
  /** |D| of every consecutive pair of received packets, ms. */
  jitterMs: number[];
  /** The same without the pairs that start a talkspurt (marker bit: the sender changed source). */
  steadyJitterMs: number[];
  packetsReceived: number;
  /** Packets expected by sequence numbers but not received (loss or reordering). */
  packetsMissing: number;
};

export class SipLoadCaller {
  private readonly ua: SipUserAgent;
  private readonly calls: LoadCall[] = [];
  private timer: NodeJS.Timeout | null = null;
  private jitter: number[] = [];
  private steady: number[] = [];
  private missing = 0;
  private measuring = false;

  constructor(
    private readonly target: { host: string; port: number },
    /** Caller audio at 8 kHz, looped. */
    private readonly audio: Int16Array,
  ) {
    this.ua = new SipUserAgent({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      clock: systemClock,
      log: createLogger('silent'),
      contactUser: 'load',
      handler: {
        invite: (invite) => invite.reject(486),
        options: () => ({ status: 200, headers: [] }),
      },
    });
  }

  async start(): Promise<void> {
    await this.ua.start();
    // One 20 ms grid for every call: the generator's own pacing is not what is measured, but it must
    // stay cheap enough not to starve the server on a shared machine.
    let next = performance.now();
    const tick = () => {
      next += 20;
      this.sendFrames();
      this.timer = setTimeout(tick, Math.max(0, next - performance.now()));
    };
    this.timer = setTimeout(tick, 20);
  }

  /** Places `count` calls, `gapMs` apart; resolves when all are answered or failed. */
  async place(count: number, gapMs: number): Promise<{ answered: number; failed: string[] }> {
    const outcomes: Promise<string | null>[] = [];
    for (let i = 0; i < count; i++) {
      outcomes.push(this.placeOne());
      await new Promise((r) => setTimeout(r, gapMs));
    }
    const results = await Promise.all(outcomes);
    const failed = results.filter((r): r is string => r !== null);
    return { answered: count - failed.length, failed };
  }

  /** Starts collecting jitter samples (after the calls settled). */
  measure(): void {
    this.jitter = [];
    this.steady = [];
    this.missing = 0;
    this.measuring = true;
  }

  result(): LoadResult {
    const answered = this.calls.filter((c) => c.dialog).length;
    return { answered, failed: [], jitterMs: [...this.jitter], steadyJitterMs: [...this.steady], packetsReceived: this.calls.reduce((s, c) => s + c.received, 0), packetsMissing: this.missing };
  }

  /** Hangs every call up (BYE) and closes their sockets. */
  async hangUpAll(): Promise<void> {
    this.measuring = false;
    const calls = this.calls.splice(0);
    await Promise.all(
      calls.map(async (c) => {
        if (c.dialog) await this.ua.dialogRequest(c.dialog, 'BYE').catch(() => undefined);
        c.socket.close();
      }),
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.hangUpAll();
    await this.ua.stop();
  }

  private async placeOne(): Promise<string | null> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const call: LoadCall = { socket, dialog: null, remote: null, seq: randomInt(0, 65535), timestamp: randomInt(0, 2 ** 31), ssrc: randomInt(1, 2 ** 31), cursor: randomInt(0, this.audio.length), last: null, received: 0 };
    socket.on('message', (packet) => this.onPacket(call, packet));
    const sdp = createOffer({ address: '127.0.0.1', port: socket.address().port, sessionId: String(randomInt(1, 2 ** 31)), sessionVersion: 1, codecs: ['PCMU'] });
    const uri = `sip:bench@${this.target.host}:${this.target.port}`;
    const invite = this.ua
      .invite({ uri, from: `<sip:load@127.0.0.1:${this.ua.port}>`, to: `<${uri}>`, callId: `${randomBytes(8).toString('hex')}@load`, cseq: 1, body: sdp, contentType: 'application/sdp' })
      .start();
    const outcome = await invite.outcome;
    if (outcome.kind !== 'answered') {
      socket.close();
      return `${outcome.status} ${outcome.reason}`;
    }
    const media = readAnswer(outcome.response.bodyText, ['PCMU']);
    call.dialog = outcome.dialog;
    call.remote = { address: media.remoteAddress, port: media.remotePort };
    this.calls.push(call);
    return null;
  }

  private sendFrames(): void {
    for (const call of this.calls) {
      if (!call.remote) continue;
      const frame = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++) frame[i] = this.audio[(call.cursor + i) % this.audio.length];
      call.cursor = (call.cursor + FRAME) % this.audio.length;
      const packet = Buffer.alloc(12 + FRAME);
      packet[0] = 0x80;
      packet[1] = 0; // PCMU
      packet.writeUInt16BE(call.seq, 2);
      packet.writeUInt32BE(call.timestamp >>> 0, 4);
      packet.writeUInt32BE(call.ssrc >>> 0, 8);
      packet.set(muLawEncode(frame), 12);
      call.seq = (call.seq + 1) & 0xffff;
      call.timestamp = (call.timestamp + FRAME) >>> 0;
      call.socket.send(packet, call.remote.port, call.remote.address);
    }
  }

  private onPacket(call: LoadCall, packet: Buffer): void {
    const arrival = performance.now();
    if (packet.length < 12 || packet[0] >> 6 !== 2) return; // RTCP shares nothing here; not RTP v2
    const pt = packet[1] & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP on the RTP port (never sent by Parley, but cheap to skip)
    const seq = packet.readUInt16BE(2);
    const ts = packet.readUInt32BE(4);
    call.received++;
    const last = call.last;
    call.last = { arrival, ts, seq };
    if (!this.measuring || !last) return;
    const gap = (seq - last.seq) & 0xffff;
    if (gap !== 1) {
      if (gap > 1 && gap < 1000) this.missing += gap - 1;
      return;
    }
    const d = arrival - last.arrival - ((ts - last.ts) >>> 0) / 8;
    this.jitter.push(Math.abs(d));
    if ((packet[1] & 0x80) === 0) this.steady.push(Math.abs(d));
  }
}
