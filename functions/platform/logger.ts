import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogFields, Logger } from '../core/ports.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** pino level label -> Cloud Logging severity. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG', debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL',
};

/** Keys that must never reach a log line: invoice contents. Redacted wherever they appear at top level. */
const CONTENT_KEYS = ['text', 'invoice', 'fields', 'lines', 'ocr', 'xml', 'content', 'value', 'raw'];

export interface LoggerOptions {
  level?: LogLevel;
  /** Defaults to stdout (Cloud Functions collect stdout as structured logs). */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Bindings on every line, e.g. { function: 'ocr' }. */
  base?: LogFields;
}

/**
 * One JSON object per line in the shape Cloud Logging parses: `severity`, `message`, `time`, plus trace
 * fields (see trace.ts) and domain keys. Hand-rolled formatting is not needed: pino's formatters do it.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const instance = pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
      redact: { paths: CONTENT_KEYS, censor: '[redacted]' },
    },
    (options.destination as DestinationStream | undefined) ?? pino.destination({ fd: 1, sync: true }),
  );
  return wrap(instance);
}

function wrap(p: PinoLogger): Logger {
  return {
    debug: (message, fields) => p.debug(fields ?? {}, message),
    info: (message, fields) => p.info(fields ?? {}, message),
    warn: (message, fields) => p.warn(fields ?? {}, message),
    error: (message, fields) => p.error(fields ?? {}, message),
    child: (bindings) => wrap(p.child(bindings)),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => {}, info: () => {}, warn: () => {}, error: () => {},
  child: () => silentLogger,
};

/** Serializes an error for a log line without its message payload leaking invoice data (codes and names only). */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { errorName: err.name, errorCode: typeof code === 'string' ? code : undefined, errorMessage: err.message };
  }
  return { errorName: typeof err };
}
