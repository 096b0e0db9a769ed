import pino, { type Logger } from 'pino';

/** Paths pino must never write: credentials in headers and bodies, the trust key-encryption key. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.secret',
  'keyEncryptionKey',
  '*.keyEncryptionKey',
  '*.*.keyEncryptionKey',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}
