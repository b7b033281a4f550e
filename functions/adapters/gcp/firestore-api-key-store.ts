import type { CollectionReference, Firestore } from '@google-cloud/firestore';
import { ApiKeyRecordSchema, type ApiKeyRecord, type ApiKeyStore } from '../../core/api/ports.js';
import { GrpcCode, grpcCodeOf, rethrowClassified, runTransaction, withoutUndefined } from './firestore-data.js';

/** {@link ApiKeyStore} on Firestore: one document per key (id = key id) holding the record (hash only). */
export class FirestoreApiKeyStore implements ApiKeyStore {
  private readonly keys: CollectionReference;

  constructor(private readonly db: Firestore, options: { collection?: string } = {}) {
    this.keys = db.collection(options.collection ?? 'apiKeys');
  }

  async create(record: ApiKeyRecord): Promise<void> {
    const valid = ApiKeyRecordSchema.parse(record);
    try {
      await this.keys.doc(valid.id).create(withoutUndefined(valid));
    } catch (err) {
      if (grpcCodeOf(err) === GrpcCode.ALREADY_EXISTS) throw new Error(`api key ${valid.id} already exists`, { cause: err });
      rethrowClassified(err, 'api key create');
    }
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    try {
      const data = (await this.keys.doc(id).get()).data();
      return data ? ApiKeyRecordSchema.parse(data) : null;
    } catch (err) {
      return rethrowClassified(err, 'api key read');
    }
  }

  async list(): Promise<ApiKeyRecord[]> {
    try {
      const snaps = await this.keys.orderBy('createdAt', 'desc').limit(1_000).get();
      return snaps.docs.map((d) => ApiKeyRecordSchema.parse(d.data()));
    } catch (err) {
      return rethrowClassified(err, 'api key list');
    }
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const ref = this.keys.doc(id);
    try {
      return await runTransaction(this.db, async (tx) => {
        const data = (await tx.get(ref)).data();
        if (!data) return false;
        const record = ApiKeyRecordSchema.parse(data);
        if (!record.revokedAt) tx.update(ref, { revokedAt: at });
        return true;
      });
    } catch (err) {
      return rethrowClassified(err, 'api key revoke');
    }
  }
}
