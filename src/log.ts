// Structured JSON logs. Calls log through children carrying call_id (and turn_id per line where
// a turn is concerned). Secrets never reach a log line: known secret keys are redacted.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED_KEYS = ['apiKey', 'api_key', 'authorization', 'token', 'password', 'secret', 'authToken', '*.apiKey', '*.api_key', '*.authorization', '*.token', '*.password', '*.secret', '*.authToken', 'headers["x-twilio-signature"]', 'req.headers["x-twilio-signature"]', 'headers.authorization', 'req.headers.authorization'];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'parley' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
