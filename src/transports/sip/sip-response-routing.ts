// Where a request came from is written into its top Via on arrival (RFC 3261 18.2.1 `received`,
// RFC 3581 `rport`), and responses go back along that Via (18.2.2): on the connection the request
// came over, else to `maddr`, else to the source address and port when the client asked for rport,
// else to the source address at the port the Via names.
import type { SipRequest, SipResponse } from './sip-message.js';
import type { SipPeer, SipTransportName } from './sip-transport.js';
import { defaultPortFor, formatVia, parseVia } from './sip-via.js';

/** Records the source in the request's top Via; returns false when there is no readable Via. */
export function stampReceived(request: { headers: SipRequest['headers'] }, source: SipPeer): boolean {
  const top = request.headers.get('Via');
  if (top === undefined) return false;
  let via;
  try {
    via = parseVia(top);
  } catch {
    return false;
  }
  const wantsRport = via.params.get('rport') === null;
  if (via.host !== source.address || wantsRport) via.params.set('received', source.address);
  if (wantsRport) via.params.set('rport', String(source.port));
  request.headers.replaceFirst('Via', formatVia(via));
  return true;
}

/**
 * Where to send a response, best first: a TCP response tries the connection its request came on,
 * then a new connection to the Via address.
 */
export function responseTargets(response: Pick<SipResponse, 'headers'>, source: SipPeer): SipPeer[] {
  const top = response.headers.get('Via');
  if (top === undefined) return [];
  let via;
  try {
    via = parseVia(top);
  } catch {
    return [];
  }
  const received = strParam(via.params.get('received')) ?? via.host;
  const port = via.port ?? defaultPortFor(via.transport);
  const transport: SipTransportName = via.transport === 'UDP' ? 'udp' : 'tcp';
  if (source.transport === 'tcp') {
    return [source, { transport: 'tcp', address: received, port }];
  }
  const maddr = strParam(via.params.get('maddr'));
  if (maddr) return [{ transport, address: maddr, port }];
  const rport = strParam(via.params.get('rport'));
  if (rport) return [{ transport: 'udp', address: received, port: Number(rport) }];
  return [{ transport: transport === 'udp' ? 'udp' : source.transport, address: received, port }];
}

function strParam(v: string | null | undefined): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
