/**
 * {@link IdempotencyStore} on Firestore: one document per key (`claims/{sha-free key}`), claimed with
 * `create()` so that exactly one contender wins without a read-then-write race.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Timestamp, type CollectionReference, type DocumentReference, type Firestore, type Transaction } from '@google-cloud/firestore';
import { z } from 'zod';
import type { ClaimResult, IdempotencyStore } from '../../core/ports.js';
import { GrpcCode, grpcCodeOf, rethrowClassified, runTransaction } from './firestore-data.js';

export interface FirestoreIdempotencyStoreOptions {
  /** Collection of claim documents; default `idempotency` (the one with the TTL policy on `expiresAt`). */
  collection?: string;
  /**
   * How long a COMPLETED key is kept (its `expiresAt`, acted on by the TTL policy). It must outlive every
   * redelivery of the work: Pub/Sub keeps unacked messages for up to 7 days by default. Default 30 days.
   */
  completedRetentionMs?: number;
}

const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

const ClaimDocSchema = z.object({
  key: z.string(),
  state: z.enum(['IN_PROGRESS', 'COMPLETED']),
  expiresAt: z.instanceof(Timestamp),
  /** JSON text: results may hold values Firestore cannot store as fields (nested arrays, undefined). */
  resultJson: z.string().optional(),
  /** Owner of an IN_PROGRESS claim: only it may complete or release it. */
  token: z.string().optional(),
});
type ClaimDoc = z.infer<typeof ClaimDocSchema>;

/**
 * Document ids may not contain '/' and are limited to 1,500 bytes; keys are business identities like
 * `ocr:inv-1` that could contain either, so a key that is not a safe id is hashed (the key itself is kept
 * in the document).
 */
function documentId(key: string): string {
  const safe = /^[A-Za-z0-9:_.@=+-]{1,200}$/.test(key) && !/^__.*__$/.test(key) && key !== '.' && key !== '..';
  return safe ? key : `h-${createHash('sha256').update(key).digest('hex')}`;
}

function outcome(doc: ClaimDoc): ClaimResult {
  if (doc.state === 'COMPLETED') {
    return { state: 'completed', result: doc.resultJson === undefined ? null : (JSON.parse(doc.resultJson) as unknown) };
  }
  return { state: 'in-progress', expiresAt: doc.expiresAt.toDate().toISOString() };
}

/**
 * Claim / complete / release on `@google-cloud/firestore`. `expiresAt` is a Firestore Timestamp so that the
 * TTL policy can delete old claims. A claim is one `create()` with a fresh owner token; when the key exists, a
 * COMPLETED key returns its result, a live IN_PROGRESS claim reports in-progress, and an expired one (a crashed
 * worker) is taken over in a transaction, under a new token, so that only one of several contenders gets it.
 * Complete and release run in a transaction that checks the token: a worker whose claim was taken over
 * changes nothing.
 * Quota / contention / availability errors are rethrown as RetryableError.
 */
export class FirestoreIdempotencyStore implements IdempotencyStore {
  private readonly claims: CollectionReference;
  private readonly retentionMs: number;

  constructor(
    private readonly db: Firestore,
    options: FirestoreIdempotencyStoreOptions = {},
  ) {
    this.claims = db.collection(options.collection ?? 'idempotency');
    this.retentionMs = options.completedRetentionMs ?? DEFAULT_RETENTION_MS;
  }

  async claim(key: string, ttlMs: number, now: Date): Promise<ClaimResult> {
    const ref = this.claims.doc(documentId(key));
    const token = randomUUID();
    const fresh: ClaimDoc = { key, state: 'IN_PROGRESS', expiresAt: Timestamp.fromMillis(now.getTime() + ttlMs), token };
    try {
      await ref.create(fresh);
      return { state: 'claimed', token };
    } catch (err) {
      if (grpcCodeOf(err) !== GrpcCode.ALREADY_EXISTS) return rethrowClassified(err, 'idempotency claim');
    }
    try {
      const existing = await this.read(ref);
      if (existing && (existing.state === 'COMPLETED' || existing.expiresAt.toMillis() > now.getTime())) {
        return outcome(existing);
      }
      // Expired (or released meanwhile): take it over unless another contender got there first.
      return await runTransaction(this.db, async (tx) => {
        const snap = await tx.get(ref);
        const current = snap.exists ? ClaimDocSchema.parse(snap.data()) : null;
        if (current && (current.state === 'COMPLETED' || current.expiresAt.toMillis() > now.getTime())) {
          return outcome(current);
        }
        tx.set(ref, fresh);
        return { state: 'claimed', token } as const;
      });
    } catch (err) {
      return rethrowClassified(err, 'idempotency takeover');
    }
  }

  /**
   * Marks the key COMPLETED with `result` (undefined is stored as null), kept for the retention period, iff
   * `token` still owns the IN_PROGRESS claim.
   */
  async complete(key: string, token: string, result: unknown, now: Date): Promise<boolean> {
    const doc: ClaimDoc = {
      key,
      state: 'COMPLETED',
      expiresAt: Timestamp.fromMillis(now.getTime() + this.retentionMs),
      resultJson: JSON.stringify(result ?? null),
    };
    const ref = this.claims.doc(documentId(key));
    try {
      return await runTransaction(this.db, async (tx) => {
        if (!(await this.ownedBy(tx, ref, token))) return false;
        tx.set(ref, doc);
        return true;
      });
    } catch (err) {
      return rethrowClassified(err, 'idempotency complete');
    }
  }

  /** Frees the IN_PROGRESS claim iff `token` still owns it; a COMPLETED key is kept, a missing key is not an error. */
  async release(key: string, token: string): Promise<boolean> {
    const ref = this.claims.doc(documentId(key));
    try {
      return await runTransaction(this.db, async (tx) => {
        if (!(await this.ownedBy(tx, ref, token))) return false;
        tx.delete(ref);
        return true;
      });
    } catch (err) {
      return rethrowClassified(err, 'idempotency release');
    }
  }

  private async ownedBy(tx: Transaction, ref: DocumentReference, token: string): Promise<boolean> {
    const snap = await tx.get(ref);
    if (!snap.exists) return false;
    const claim = ClaimDocSchema.parse(snap.data());
    return claim.state === 'IN_PROGRESS' && claim.token === token;
  }

  private async read(ref: DocumentReference): Promise<ClaimDoc | null> {
    const snap = await ref.get();
    return snap.exists ? ClaimDocSchema.parse(snap.data()) : null;
  }
}
