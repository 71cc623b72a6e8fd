// Structured JSON logs (pino). One root logger per process; modules take child loggers.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'healthgraph' } });
}
