/**
 * Small helpers shared by the Firestore adapters: error-code checks and plain-data conversion.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore, Transaction } from '@google-cloud/firestore';
import { RetryableError } from '../../core/errors.js';

/** gRPC status codes the Firestore client reports in `err.code`. */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DEADLINE_EXCEEDED: 4,
} as const;

/** The gRPC status code of a Google client error, if it carries one. */
export function grpcCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

const TRANSIENT = new Set<number>([
  GrpcCode.RESOURCE_EXHAUSTED,
  GrpcCode.ABORTED,
  GrpcCode.INTERNAL,
  GrpcCode.UNAVAILABLE,
  GrpcCode.DEADLINE_EXCEEDED,
]);

/**
 * A transaction the server closed under the caller: Firestore answers INVALID_ARGUMENT for an expired
 * transaction id, and its emulator for one it closed while the transaction waited on another's lock ("Transaction
 * is invalid or closed"). The client retries only the first wording; both are contention, not a bad request.
 */
export function isClosedTransaction(err: unknown): boolean {
  return grpcCodeOf(err) === GrpcCode.INVALID_ARGUMENT && /transaction (is invalid or closed|has expired)/i.test(String((err as Error).message));
}

const CLOSED_TRANSACTION_RUNS = 4;

/**
 * `db.runTransaction`, run again (after a short random pause) when the server closed the transaction under it
 * ({@link isClosedTransaction}), which the client does not retry itself for the emulator's wording.
 */
export async function runTransaction<T>(db: Firestore, update: (tx: Transaction) => Promise<T>, options: { maxAttempts?: number } = {}): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await db.runTransaction(update, options);
    } catch (err) {
      if (run >= CLOSED_TRANSACTION_RUNS || !isClosedTransaction(err)) throw err;
      await sleep(20 + Math.random() * 80 * run);
    }
  }
}

/**
 * Rethrows quota / contention / availability failures as {@link RetryableError} (so that the platform
 * redelivers instead of treating them as bugs) and anything else unchanged.
 */
export function rethrowClassified(err: unknown, what: string): never {
  const code = grpcCodeOf(err);
  if ((code !== undefined && TRANSIENT.has(code)) || isClosedTransaction(err)) {
    throw new RetryableError(`FIRESTORE_${code}`, `${what}: ${(err as Error).message}`);
  }
  throw err;
}

/**
 * Copies a JSON-like value without `undefined` members: the Firestore client refuses `undefined` unless
 * `ignoreUndefinedProperties` is set, and the adapters take a client configured by someone else.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(withoutUndefined) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[key] = withoutUndefined(v);
    }
    return out as T;
  }
  return value;
}
