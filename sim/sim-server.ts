// One loopback server that speaks every simulated vendor protocol, on the vendors' own paths:
//   Deepgram   /v1/listen (WS), /v1/speak (WS and REST)
//   OpenAI     /v1/chat/completions, /v1/audio/transcriptions
//   ElevenLabs /v1/text-to-speech/{voice_id}/stream-input (WS), /v1/text-to-speech/{voice_id}/stream
//   Cartesia   /tts/websocket (WS)
//   Twilio     /2010-04-01/Accounts/{AccountSid}/Calls.json and Calls/{Sid}.json (REST); its calls
//              then reach out to the application (webhooks, media streams), see sim/twilio/
// Routing, auth refusals, the generic faults (status, drop) and the connection log live here; each
// vendor module speaks its protocol.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SimControl, type SimConnection, type SimControlOptions, type SimFault, type Vendor } from './sim-control.js';
import { cartesiaRoutes } from './cartesia/cartesia-routes.js';
import { deepgramRoutes } from './deepgram/deepgram-routes.js';
import { elevenLabsRoutes } from './elevenlabs/elevenlabs-routes.js';
import { openAiRoutes } from './openai/openai-routes.js';
import { twilioRoutes } from './twilio/twilio-rest-routes.js';

/** A refusal in the vendor's own shape. */
export type SimErrorResponse = { status: number; headers?: Record<string, string>; body: string };

export type HttpContext = {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  control: SimControl;
  connection: SimConnection;
  fault: SimFault | null;
  /** The whole request body (limited to 25 MB). */
  body(): Promise<Buffer>;
};

export type WsContext = {
  req: IncomingMessage;
  url: URL;
  ws: WebSocket;
  control: SimControl;
  connection: SimConnection;
  fault: SimFault | null;
  /** Closes from the server side (recorded as such). */
  close(code: number, reason: string): void;
};

export type SimRoute = {
  vendor: Vendor;
  match(path: string, method: string, isUpgrade: boolean): boolean;
  /** The vendor's refusal for `status` (auth failure, 429, 500), with retry-after when given. */
  errorResponse(status: number, message: string, retryAfterS?: number): SimErrorResponse;
  /** Checks credentials; returns the refusal, or null to go on (and the subprotocol to select, if any). */
  authorize(req: IncomingMessage, url: URL, control: SimControl): { refusal: SimErrorResponse } | { protocol?: string; headers?: Record<string, string> };
  http?(ctx: HttpContext): Promise<void> | void;
  ws?(ctx: WsContext): void;
};

export type SimServer = {
  control: SimControl;
  port: number;
  /** `http://127.0.0.1:<port>` */
  httpUrl: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
  close(): Promise<void>;
};

export type SimServerOptions = SimControlOptions & { host?: string; port?: number; control?: SimControl };

const MAX_BODY = 25 * 1024 * 1024;

export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const control = options.control ?? new SimControl(options);
  const routes: SimRoute[] = [...deepgramRoutes(), ...openAiRoutes(), ...elevenLabsRoutes(), ...cartesiaRoutes(), ...twilioRoutes()];
  const selectedProtocol = new WeakMap<IncomingMessage, string>();
  const upgradeHeaders = new WeakMap<IncomingMessage, Record<string, string>>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 16 * 1024 * 1024,
    handleProtocols: (_protocols, req) => selectedProtocol.get(req) ?? false,
  });
  wss.on('headers', (headers, req) => {
    for (const [name, value] of Object.entries(upgradeHeaders.get(req) ?? {})) headers.push(`${name}: ${value}`);
  });
  const sockets = new Set<Duplex>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const route = routes.find((r) => r.http && r.match(url.pathname, req.method ?? 'GET', false));
    if (!route?.http) {
      sendJson(res, 404, { error: `simulator: no route for ${req.method} ${url.pathname}` });
      return;
    }
    const auth = route.authorize(req, url, control);
    if ('refusal' in auth) return sendRefusal(res, auth.refusal);
    const fault = control.takeFault(route.vendor, url.pathname);
    if (fault?.type === 'status') return sendRefusal(res, route.errorResponse(fault.status, 'simulated fault', fault.retryAfterS));
    const connection = control.opened(route.vendor, 'http', url.pathname, fault);
    res.on('close', () => control.closed(connection, res.writableFinished ? 'server' : 'client'));
    control.onKill(connection, () => {
      control.closed(connection, 'server');
      res.destroy();
    });
    if (fault?.type === 'drop') {
      const timer = setTimeout(() => {
        control.closed(connection, 'server');
        res.destroy();
      }, fault.afterMs);
      res.on('close', () => clearTimeout(timer));
    }
    const ctx: HttpContext = { req, res, url, control, connection, fault, body: () => readBody(req) };
    Promise.resolve(route.http(ctx)).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `simulator failure: ${(err as Error).message}` });
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const route = routes.find((r) => r.ws && r.match(url.pathname, 'GET', true));
    if (!route?.ws) return rejectUpgrade(socket, { status: 404, body: `simulator: no WebSocket route ${url.pathname}` });
    const auth = route.authorize(req, url, control);
    if ('refusal' in auth) return rejectUpgrade(socket, auth.refusal);
    const fault = control.takeFault(route.vendor, url.pathname);
    if (fault?.type === 'status') return rejectUpgrade(socket, route.errorResponse(fault.status, 'simulated fault', fault.retryAfterS));
    if (auth.protocol) selectedProtocol.set(req, auth.protocol);
    if (auth.headers) upgradeHeaders.set(req, auth.headers);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = control.opened(route.vendor, 'ws', url.pathname, fault);
      let serverClosing = false;
      ws.on('close', () => control.closed(connection, serverClosing ? 'server' : 'client'));
      ws.on('error', () => {});
      control.onKill(connection, () => {
        serverClosing = true;
        ws.terminate();
      });
      if (fault?.type === 'drop') {
        const timer = setTimeout(() => {
          serverClosing = true;
          control.event(connection, 'dropped');
          ws.terminate();
        }, fault.afterMs);
        ws.on('close', () => clearTimeout(timer));
      }
      route.ws!({
        req,
        url,
        ws,
        control,
        connection,
        fault,
        close(code, reason) {
          serverClosing = true;
          ws.close(code, reason);
        },
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    control,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendRefusal(res: ServerResponse, refusal: SimErrorResponse): void {
  res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(refusal.body), ...refusal.headers });
  res.end(refusal.body);
}

function rejectUpgrade(socket: Duplex, refusal: SimErrorResponse): void {
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(refusal.body)), connection: 'close', ...refusal.headers };
  const head = [`HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status] ?? 'Error'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${head.join('\r\n')}\r\n\r\n${refusal.body}`);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads the bearer/token credential of an Authorization header (scheme compared case-insensitively). */
export function credentialOf(header: string | undefined, schemes: string[]): string | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  return schemes.includes(scheme) ? header.slice(space + 1).trim() : null;
}
