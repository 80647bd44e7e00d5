// Twilio's REST API for calls (2010-04-01 Calls resource): place a call, change a live one (hang
// up, new TwiML for a transfer) and read it. Form-encoded POSTs with HTTP Basic auth (Account SID
// and auth token); Twilio's JSON errors become TwilioApiError. The token never leaves the
// Authorization header: not in messages, not in logs.

/** A call as Twilio describes it (the fields Parley reads). */
export type TwilioCall = {
  sid: string;
  status: string;
  direction: string | null;
  from: string | null;
  to: string | null;
  parentCallSid: string | null;
  /** Seconds, once the call has ended. */
  duration: string | null;
  startTime: string | null;
  endTime: string | null;
};

/** Twilio answered with an error: HTTP status, Twilio's error code (e.g. 20404) and its message. */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | null,
    message: string,
    readonly moreInfo: string | null = null,
  ) {
    super(message);
    this.name = 'TwilioApiError';
  }
}

export type TwilioRestOptions = {
  accountSid: string;
  authToken: string;
  /** Default https://api.twilio.com (the simulator in tests). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Per request; default 15 s. */
  timeoutMs?: number;
};

export type CreateCallParams = {
  to: string;
  from: string;
  /** Where Twilio fetches the call's TwiML once it is answered. */
  url?: string;
  /** Or the TwiML itself. */
  twiml?: string;
  statusCallback?: string;
  /** How long it may ring, in seconds (Twilio: 5-600, default 60). */
  timeoutS?: number;
};

export type UpdateCallParams = { status?: 'completed' | 'canceled'; twiml?: string; url?: string };

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

export class TwilioRestClient {
  private readonly base: string;
  private readonly authorization: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: TwilioRestOptions) {
    if (!ACCOUNT_SID.test(options.accountSid)) throw new Error('Twilio account SID must be AC followed by 32 hex digits');
    if (!options.authToken) throw new Error('Twilio auth token is empty');
    const base = options.baseUrl ?? 'https://api.twilio.com';
    if (!/^https?:\/\//i.test(base)) throw new Error(`Twilio API base URL must be http(s), got "${base}"`);
    this.base = `${base.replace(/\/+$/, '')}/2010-04-01/Accounts/${options.accountSid}`;
    this.authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  get accountSid(): string {
    return this.options.accountSid;
  }

  async createCall(p: CreateCallParams): Promise<TwilioCall> {
    if (!p.url && !p.twiml) throw new Error('a Twilio call needs a url or twiml for its instructions');
    const form = new URLSearchParams({ To: p.to, From: p.from });
    if (p.url) form.set('Url', p.url);
    if (p.twiml) form.set('Twiml', p.twiml);
    if (p.statusCallback) form.set('StatusCallback', p.statusCallback);
    if (p.timeoutS !== undefined) form.set('Timeout', String(p.timeoutS));
    return this.request('POST', '/Calls.json', form);
  }

  async updateCall(sid: string, p: UpdateCallParams): Promise<TwilioCall> {
    const form = new URLSearchParams();
    if (p.status) form.set('Status', p.status);
    if (p.twiml) form.set('Twiml', p.twiml);
    if (p.url) form.set('Url', p.url);
    if ([...form.keys()].length === 0) throw new Error('a Twilio call update needs a status, twiml or url');
    return this.request('POST', `/Calls/${checkedSid(sid)}.json`, form);
  }

  async getCall(sid: string): Promise<TwilioCall> {
    return this.request('GET', `/Calls/${checkedSid(sid)}.json`, null);
  }

  private async request(method: 'GET' | 'POST', path: string, form: URLSearchParams | null): Promise<TwilioCall> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: form ? form.toString() : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : errorText(err);
      throw new Error(`Twilio API ${method} ${path} failed: ${why}`);
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): reported with its start below.
    }
    if (!res.ok) throw apiError(res.status, body, text);
    return callOf(res.status, body);
  }
}

function checkedSid(sid: string): string {
  if (!CALL_SID.test(sid)) throw new Error(`"${sid}" is not a Twilio call SID (CA followed by 32 hex digits)`);
  return sid;
}

function apiError(status: number, body: unknown, text: string): TwilioApiError {
  if (body && typeof body === 'object') {
    const b = body as { code?: unknown; message?: unknown; more_info?: unknown };
    const code = typeof b.code === 'number' ? b.code : null;
    const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`;
    return new TwilioApiError(status, code, `Twilio error ${code ?? status}: ${message}`, typeof b.more_info === 'string' ? b.more_info : null);
  }
  return new TwilioApiError(status, null, `Twilio API HTTP ${status}: ${text.slice(0, 200) || '(empty body)'}`);
}

function callOf(status: number, body: unknown): TwilioCall {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.sid !== 'string' || typeof b.status !== 'string') throw new TwilioApiError(status, null, 'Twilio API answered without a call (no sid/status)');
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    sid: b.sid,
    status: b.status,
    direction: str(b.direction),
    from: str(b.from),
    to: str(b.to),
    parentCallSid: str(b.parent_call_sid),
    duration: str(b.duration),
    startTime: str(b.start_time),
    endTime: str(b.end_time),
  };
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
