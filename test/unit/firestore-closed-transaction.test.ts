/**
 * A transaction the server closed under the caller (the emulator's "Transaction is invalid or closed", Firestore's
 * expired transaction id: both INVALID_ARGUMENT) is contention: the adapters run the transaction again and, if it
 * keeps happening, report a RetryableError (redelivery, or 503 from the API) instead of an internal error.
 */
import type { Firestore, Transaction } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../functions/core/errors.js';
import { isClosedTransaction, rethrowClassified, runTransaction } from '../../functions/adapters/gcp/firestore-data.js';

const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });
const closed = () => grpcError(3, 'INVALID_ARGUMENT: Transaction is invalid or closed.');

/** A client whose runTransaction fails with the given errors first, then runs the update. */
function clientFailing(errors: Error[]): { db: Firestore; runs: () => number } {
  let runs = 0;
  const db = {
    async runTransaction<T>(update: (tx: Transaction) => Promise<T>): Promise<T> {
      runs++;
      const err = errors.shift();
      if (err) throw err;
      return update({} as Transaction);
    },
  } as unknown as Firestore;
  return { db, runs: () => runs };
}

describe('a transaction closed by the server', () => {
  it('is told apart from other invalid arguments', () => {
    expect(isClosedTransaction(closed())).toBe(true);
    expect(isClosedTransaction(grpcError(3, 'INVALID_ARGUMENT: The referenced transaction has expired or is no longer valid.'))).toBe(true);
    expect(isClosedTransaction(grpcError(3, 'INVALID_ARGUMENT: Property value is too large.'))).toBe(false);
    expect(isClosedTransaction(grpcError(10, 'ABORTED: Transaction is invalid or closed.'))).toBe(false);
    expect(isClosedTransaction(new Error('Transaction is invalid or closed.'))).toBe(false);
  });

  it('is run again until it commits', async () => {
    const { db, runs } = clientFailing([closed(), closed()]);
    await expect(runTransaction(db, async () => 'committed')).resolves.toBe('committed');
    expect(runs()).toBe(3);
  });

  it('ends as a RetryableError when it keeps happening, and a bad request is not run again', async () => {
    const keeps = clientFailing(Array.from({ length: 10 }, closed));
    const err = await runTransaction(keeps.db, async () => 'never').catch((e: unknown) => e);
    expect(keeps.runs()).toBe(4);
    expect(() => rethrowClassified(err, 'review label write')).toThrow(RetryableError);

    const bad = clientFailing([grpcError(3, 'INVALID_ARGUMENT: Property value is too large.')]);
    const badErr = await runTransaction(bad.db, async () => 'never').catch((e: unknown) => e);
    expect(bad.runs()).toBe(1);
    expect(() => rethrowClassified(badErr, 'review label write')).toThrow(/too large/);
    expect(() => rethrowClassified(badErr, 'review label write')).not.toThrow(RetryableError);
  });
});
