import { PermanentError, RetryableError } from '../../../core/errors.js';

/** An error as it crosses a worker-thread boundary (structured clone keeps no class, so we keep the kind). */
export interface SerializedError {
  kind: 'permanent' | 'retryable' | 'other';
  code?: string | undefined;
  message: string;
  details?: Record<string, unknown> | undefined;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof PermanentError) return { kind: 'permanent', code: err.code, message: err.message, details: err.details };
  if (err instanceof RetryableError) return { kind: 'retryable', code: err.code, message: err.message };
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.kind === 'permanent') return new PermanentError(e.code ?? 'UNKNOWN', e.message, e.details);
  if (e.kind === 'retryable') return new RetryableError(e.code ?? 'UNKNOWN', e.message);
  return new RetryableError('OCR_WORKER_FAILED', e.message);
}
