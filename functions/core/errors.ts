/**
 * Error taxonomy shared by every handler.
 *
 * - {@link PermanentError}: retrying cannot help (bad input, unsupported file...). The handler records a
 *   terminal status with `code`, publishes to the dead-letter path and acks.
 * - {@link RetryableError}: a transient condition (quota, unavailable, claim in progress). The handler
 *   rethrows so that the platform redelivers with backoff.
 * Any other thrown error is treated as retryable.
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(
    /** Machine-readable reason, e.g. `PDF_ENCRYPTED`, `FILE_EMPTY`. */
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Not a failure: the same work is in progress elsewhere (an idempotency claim is held). Redeliver later; a
 * transport should not count it against a message's delivery attempts.
 */
export class DeferredError extends RetryableError {
  readonly deferred = true;
}

export function isDeferred(err: unknown): err is DeferredError {
  return err instanceof DeferredError;
}

export function isPermanent(err: unknown): err is PermanentError {
  return err instanceof PermanentError;
}

/** Reason codes for invoices that end REJECTED. Stable: they appear in records, exports and dashboards. */
export const RejectReason = {
  FILE_EMPTY: 'FILE_EMPTY',
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  UNSUPPORTED_TYPE: 'UNSUPPORTED_TYPE',
  PDF_CORRUPT: 'PDF_CORRUPT',
  PDF_ENCRYPTED: 'PDF_ENCRYPTED',
  PDF_PASSWORD_PROTECTED: 'PDF_PASSWORD_PROTECTED',
  TOO_MANY_PAGES: 'TOO_MANY_PAGES',
  IMAGE_CORRUPT: 'IMAGE_CORRUPT',
  IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  NO_TEXT_FOUND: 'NO_TEXT_FOUND',
  NOT_AN_INVOICE: 'NOT_AN_INVOICE',
  XML_HOSTILE: 'XML_HOSTILE',
  XML_INVALID: 'XML_INVALID',
  XML_UNSUPPORTED: 'XML_UNSUPPORTED',
  OCR_TIMEOUT: 'OCR_TIMEOUT',
  /** The uploaded object's generation no longer exists (deleted, or overwritten by a newer upload). */
  OBJECT_GONE: 'OBJECT_GONE',
  INVALID_NAME: 'INVALID_NAME',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];
