// Configuration of the phone side: which dialled numbers reach which agent, Twilio, and the built-in
// SIP/RTP endpoint. Secrets (the Twilio auth token, the SIP trunk password) come only from the
// environment (TWILIO_AUTH_TOKEN, SIP_TRUNK_PASSWORD) and are never logged.
import { z } from 'zod';

/** A dialled number or SIP user part -> an agent. `match` is exact, or ends with `*` for a prefix; `*` alone matches all. */
export const phoneRouteSchema = z
  .object({
    match: z.string().min(1).max(100),
    agent: z.string().min(1).max(200),
    /** The tenant the agent is looked up in; default the default tenant. */
    tenant: z.string().min(1).max(100).optional(),
  })
  .strict();

export type PhoneRoute = z.infer<typeof phoneRouteSchema>;

const sipTrunkSchema = z
  .object({
    /** Where outbound calls to numbers go, e.g. `sip:trunk.example.com:5060`. */
    uri: z.string().regex(/^sips?:/, 'must be a sip: URI'),
    username: z.string().min(1).optional(),
    /** Register to the trunk (and keep refreshing) so it can send calls here. */
    register: z.boolean().default(false),
    registerExpiresS: z.number().int().min(60).max(86_400).default(3600),
    /** The user part of From on outbound calls (our number at the trunk). */
    fromUser: z.string().min(1).optional(),
    transport: z.enum(['udp', 'tcp']).default('udp'),
  })
  .strict();

export const telephonySchema = z
  .object({
    /** The address callers' carriers reach this server at (Twilio webhooks, stream URLs). PARLEY_PUBLIC_URL. */
    publicUrl: z.string().url().optional(),
    /**
     * Routing of inbound calls by the dialled number / user part; first match wins. Empty (the
     * default): every call reaches the default agent. Otherwise a number no route matches is refused.
     */
    routes: z.array(phoneRouteSchema).default([]),
    /**
     * Where a flow's hand-off node sends a phone caller (a number or sip: URI); unset: the hand-off
     * node ends the call as on the browser.
     */
    handoff: z
      .object({ target: z.string().regex(/^(\+?[0-9*#]{2,32}|sips?:\S{3,256})$/, 'must be a phone number or a sip: URI'), mode: z.enum(['blind', 'warm']).default('blind') })
      .strict()
      .optional(),
    twilio: z
      .object({
        /** TWILIO_ACCOUNT_SID; with TWILIO_AUTH_TOKEN in the environment it enables outbound calls, hang-up and transfer. */
        accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits').optional(),
        /** TWILIO_API_BASE_URL: the REST API (the simulator in tests). */
        apiBaseUrl: z.string().url().default('https://api.twilio.com'),
        /** Caller id for outbound calls. */
        from: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    sip: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 picks a free port (tests). */
        port: z.number().int().min(0).max(65535).default(5060),
        transports: z.array(z.enum(['udp', 'tcp'])).min(1).default(['udp', 'tcp']),
        /** The address put in Contact and SDP when `host` is not what peers reach (NAT). */
        publicAddress: z.string().min(1).optional(),
        rtpPortMin: z.number().int().min(1024).max(65534).default(20000),
        rtpPortMax: z.number().int().min(1025).max(65535).default(29999),
        /** Calls at once; past it INVITEs get 503 and OPTIONS says so. */
        maxCalls: z.number().int().min(1).max(100_000).default(500),
        trunk: sipTrunkSchema.optional(),
      })
      .strict()
      .refine((s) => s.rtpPortMax > s.rtpPortMin, { message: 'rtpPortMax must be above rtpPortMin', path: ['rtpPortMax'] })
      .prefault({}),
  })
  .strict()
  .prefault({});

/** The route for a dialled number, or undefined. */
export function routeFor(routes: readonly PhoneRoute[], dialled: string): PhoneRoute | undefined {
  return routes.find((r) => r.match === '*' || r.match === dialled || (r.match.endsWith('*') && dialled.startsWith(r.match.slice(0, -1))));
}
