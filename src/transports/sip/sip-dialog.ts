// A dialog (RFC 3261 12): the peer-to-peer relationship an INVITE sets up, identified by Call-ID and
// the two tags. It carries what every request inside it needs: the CSeq numbers, the remote target
// (the peer's Contact), the route set (Record-Route), and the TCP flow the dialog began on.
import type { IncomingInvite } from './sip-invite-uas.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { tagOf } from './sip-message.js';
import { parseNameAddr } from './sip-name-addr.js';
import type { SipPeer, SipTransportName } from './sip-transport.js';

/** What owns a dialog (a call) hears of the requests sent in it. */
export interface DialogHandler {
  /**
   * A request inside the dialog (not ACK, not CANCEL), CSeq already checked. The handler answers
   * through `respond`.
   */
  request(request: SipRequest, respond: (response: SipResponse) => void): void;
  /** A re-INVITE (glare already ruled out); the handler answers it (a new SDP answer, or an error). */
  reinvite(invite: IncomingInvite): void;
}

export type DialogRole = 'uac' | 'uas';

export class SipDialog {
  state: 'confirmed' | 'terminated' = 'confirmed';
  handler: DialogHandler | null = null;
  /** An INVITE from the peer in this dialog that is not answered, or answered and not yet ACKed. */
  pendingIncoming: IncomingInvite | null = null;
  /** A re-INVITE of ours in this dialog is waiting for its final response. */
  pendingOutgoing = false;

  constructor(
    readonly role: DialogRole,
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    /** Our From value in requests we send (with our tag). */
    readonly localAddress: string,
    /** Our To value in requests we send (with the peer's tag). */
    readonly remoteAddress: string,
    public localSeq: number,
    public remoteSeq: number | null,
    /** The peer's Contact URI; a target refresh (re-INVITE) may change it. */
    public remoteTarget: string,
    /** Route header values for requests in this dialog, in order. */
    readonly routeSet: readonly string[],
    /** The transport the dialog began on, used when the remote target names none. */
    readonly transport: SipTransportName,
    /** The TCP connection the dialog began on; requests go back on it while it is open. */
    readonly flow: SipPeer | null,
  ) {}

  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** The next CSeq number for a request we send (not ACK or CANCEL, which reuse one). */
  nextSeq(): number {
    this.localSeq += 1;
    return this.localSeq;
  }

  /** The UAS side of a dialog, from the INVITE and our local tag (12.1.1). */
  static fromInvite(invite: SipRequest, localTag: string, transport: SipTransportName, flow: SipPeer | null, firstLocalSeq: number): SipDialog {
    const remoteTag = invite.fromTag ?? '';
    const to = `${invite.headers.get('To') ?? ''};tag=${localTag}`;
    return new SipDialog(
      'uas',
      invite.callId,
      localTag,
      remoteTag,
      to,
      invite.headers.get('From') ?? '',
      firstLocalSeq,
      invite.cseq.seq,
      contactUri(invite) ?? '',
      invite.headers.getAll('Record-Route'),
      transport,
      flow,
    );
  }

  /** The UAC side of a dialog, from our INVITE and the 2xx that answered it (12.1.2). */
  static fromResponse(invite: SipRequest, response: SipResponse, transport: SipTransportName, flow: SipPeer | null): SipDialog {
    return new SipDialog(
      'uac',
      invite.callId,
      invite.fromTag ?? '',
      response.toTag ?? '',
      invite.headers.get('From') ?? '',
      response.headers.get('To') ?? '',
      invite.cseq.seq,
      null,
      contactUri(response) ?? invite.uri,
      [...response.headers.getAll('Record-Route')].reverse(),
      transport,
      flow,
    );
  }
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

/** The URI of a message's first Contact, or null when it has none that can be read. */
export function contactUri(message: SipRequest | SipResponse): string | null {
  const value = message.headers.get('Contact');
  if (value === undefined || value === '*') return null;
  try {
    return parseNameAddr(value).uri;
  } catch {
    return null;
  }
}

/** The dialog a request belongs to, from our side: local tag is the To tag. */
export function requestDialogId(request: SipRequest): string | null {
  const local = request.toTag;
  if (!local) return null;
  return dialogId(request.callId, local, tagOf(request.from) ?? '');
}
