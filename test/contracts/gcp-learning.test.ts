/**
 * The learning-loop contracts on the Firestore emulator (skipped with a message without the Cloud SDK), and
 * the bucket artifact store on a local bucket folder (it only uses the BlobStore port).
 */
import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { createBucketArtifactStore } from '../../functions/adapters/gcp/bucket-model-artifacts.js';
import { FirestoreJobStore } from '../../functions/adapters/gcp/firestore-job-store.js';
import { FirestoreLabelStore } from '../../functions/adapters/gcp/firestore-label-store.js';
import { FirestoreModelRegistryStore } from '../../functions/adapters/gcp/firestore-model-registry.js';
import { FirestorePredictionLog } from '../../functions/adapters/gcp/firestore-prediction-log.js';
import { FirestoreRunStore } from '../../functions/adapters/gcp/firestore-run-store.js';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { emulatorAvailable } from '../helpers/emulators.js';
import { useFirestoreEmulator } from '../helpers/firestore-emulator.js';
import { tempDir } from '../helpers/runtime.js';
import {
  entry, runJobStoreContract, runLabelStoreContract, runModelRegistryContract, runPredictionLogContract, runServableVersionContract, runRunStoreContract,
} from './learning-stores.contract.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECT = 'ledgerx-learning-test';
const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[gcp-learning] Firestore emulator not installed (Cloud SDK): Firestore learning suites skipped');

describe.skipIf(!firestoreReady)('learning adapters on the Firestore emulator', () => {
  const firestore = useFirestoreEmulator(PROJECT);
  const { fresh } = firestore;

  runPredictionLogContract('Firestore emulator', fresh((d) => new FirestorePredictionLog(d)));
  runLabelStoreContract('Firestore emulator', fresh((d) => new FirestoreLabelStore(d)));
  runModelRegistryContract('Firestore emulator', fresh((d) => new FirestoreModelRegistryStore(d)));
  runServableVersionContract('Firestore emulator', fresh((d) => new FirestoreModelRegistryStore(d, { servingSchema: 'inv-features-v2' })));
  runJobStoreContract('Firestore emulator', fresh((d) => new FirestoreJobStore(d)));
  runRunStoreContract('Firestore emulator', fresh((d) => new FirestoreRunStore(d)));

  it('stores expiresAt as a Timestamp (the TTL policy ignores strings) and sweeps expired entries', async () => {
    await firestore.reset();
    const log = new FirestorePredictionLog(firestore.db, { retentionMs: 10 * 60_000 });
    await log.record(entry('old', 0));
    await log.record(entry('new', 30));
    const docs = (await firestore.db.collection('predictions').get()).docs;
    expect(docs.every((d) => d.get('expiresAt') instanceof Timestamp)).toBe(true);
    expect(await log.prune(new Date(Date.parse('2025-03-01T00:15:00.000Z')))).toBe(1);
    expect((await log.query({ limit: 10 })).items.map((e) => e.invoiceId)).toEqual(['new']);
  });
});

describe('model files in a bucket', () => {
  it('writes a version whole, keeps identical bytes, refuses other bytes, mirrors it for serving', async () => {
    const { dir, dispose } = await tempDir('bucket-artifacts');
    try {
      const blobs = createFsBlobStore(`${dir}/buckets`);
      const store = createBucketArtifactStore(blobs, 'models', `${dir}/cache`);
      const files = { 'model.onnx': new Uint8Array([1, 2, 3]), 'metadata.json': '{"a":1}', 'test_data/expected.json': '{}' };
      expect(await store.exists('failure', 'v1')).toBe(false);
      expect(await store.put('failure', 'v1', files)).toEqual({ written: true });
      expect(await store.put('failure', 'v1', { ...files, 'metadata.json': '{"a":2}' })).toEqual({ written: false });
      await expect(store.put('failure', 'v1', { ...files, 'model.onnx': new Uint8Array([9]) })).rejects.toMatchObject({ code: 'VERSION_EXISTS' });
      await expect(store.put('../x', 'v1', files)).rejects.toThrow(/unsafe/);
      const local = await store.materialize('failure', 'v1');
      const { readFileSync, existsSync } = await import('node:fs');
      expect(readFileSync(`${local}/metadata.json`, 'utf8')).toBe('{"a":1}');
      expect(existsSync(`${local}/test_data`)).toBe(false);
      await expect(store.materialize('failure', 'v9')).rejects.toThrow(/no files/);
    } finally {
      await dispose();
    }
  });
});
