// The `message/sipfrag` body of a NOTIFY about a REFER (RFC 3515 2.4.5): the status line of the
// transfer target's response, e.g. `SIP/2.0 200 OK`, telling how the transfer is going.

/** The status in a sipfrag body, or null when its first line is not a SIP status line. */
export function sipfragStatus(body: string): { status: number; reason: string } | null {
  const first = body.replace(/^\s+/, '').split(/\r?\n/)[0] ?? '';
  const m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(first.trim());
  if (!m) return null;
  const status = Number(m[1]);
  if (status < 100 || status > 699) return null;
  return { status, reason: m[2] };
}

/** Whether a Subscription-State value says the implicit subscription is over. */
export function subscriptionTerminated(value: string | undefined): boolean {
  return (value ?? '').trim().toLowerCase().startsWith('terminated');
}
