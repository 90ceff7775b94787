import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/config.js';

/**
 * Paths that may carry secrets. Pino removes them from every log line, so a secret that
 * reaches a logged object by mistake still never reaches the log.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.access_token',
  '*.token',
  'password',
  'secret',
  'client_secret',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
