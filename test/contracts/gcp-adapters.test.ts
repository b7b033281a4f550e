import { FieldValue, Firestore, Query, Timestamp } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreIdempotencyStore } from '../../functions/adapters/gcp/firestore-idempotency-store.js';
import { FirestoreInvoiceStore } from '../../functions/adapters/gcp/firestore-invoice-store.js';
import { createFirestoreUsageCounter } from '../../functions/adapters/gcp/usage-counter.js';
import { createPubSubBus } from '../../functions/adapters/gcp/pubsub-bus.js';
import { createPubSubDeadLetters } from '../../functions/adapters/gcp/pubsub-dead-letters.js';
import { PermanentError } from '../../functions/core/errors.js';
import { Topics, type Topic } from '../../functions/core/messages.js';
import { emulatorAvailable, startEmulator, type RunningEmulator } from '../helpers/emulators.js';
import { createGcsBlobStore } from '../../functions/adapters/gcp/gcs-blob-store.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { runBlobStoreContract } from './blob-store.contract.js';
import { runIdempotencyStoreContract } from './idempotency-store.contract.js';
import { runInvoiceStoreContract } from './invoice-store.contract.js';
import { features, ocrCompleted } from './bus-fixtures.js';
import { makeRecord } from './invoice-records.js';
import { inAuditSample } from '../../functions/core/api/audit-sample.js';
import { createBatchHandlers } from '../../functions/core/batch/handlers.js';
import type { BatchDeps } from '../../functions/core/batch/deps.js';
import type { ReviewQueueCheckpoint } from '../../functions/core/batch/review-queue.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { runApiKeyStoreContract, runRateLimiterContract, runWebhookStoreContract } from './api-stores.contract.js';
import { FirestoreApiKeyStore } from '../../functions/adapters/gcp/firestore-api-key-store.js';
import { FirestoreWebhookStore } from '../../functions/adapters/gcp/firestore-webhook-store.js';
import { FirestoreRateLimiter } from '../../functions/adapters/gcp/firestore-rate-limiter.js';

// The clients probe the GCE metadata server for a project and credentials; there is none here.
process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'ledgerx-test';
const firestoreReady = emulatorAvailable('firestore');
const pubsubReady = emulatorAvailable('pubsub');
if (!firestoreReady) console.warn('[gcp-adapters] Firestore emulator not installed (Cloud SDK): Firestore suites skipped');
if (!pubsubReady) console.warn('[gcp-adapters] Pub/Sub emulator not installed (Cloud SDK): Pub/Sub suite skipped');

describe('GCS adapter on the Cloud Storage test server', () => {
  let server: GcsTestServer;
  let storage: Storage;
  beforeAll(async () => {
    server = await startGcsTestServer({ buckets: ['contract'], defaultPageSize: 2 });
    storage = new Storage({ apiEndpoint: server.url, projectId: PROJECT });
  });
  afterAll(async () => {
    await server?.close();
  });
  // A page size of 2 makes every listing of the contract go through the client's pagination.
  runBlobStoreContract('Cloud Storage test server', async () => {
    server.reset();
    return { store: createGcsBlobStore(storage), bucket: 'contract', dispose: async () => server.reset() };
  });
});

describe.skipIf(!firestoreReady)('Firestore adapters on the Firestore emulator', () => {
  let emulator: RunningEmulator;
  let db: Firestore;
  let project = PROJECT;
  const clients: Firestore[] = [];
  beforeAll(async () => {
    emulator = await startEmulator('firestore');
    console.info(`[gcp-adapters] Firestore emulator ready in ${emulator.startMs} ms`);
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  }, 90_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.terminate()));
    await emulator?.stop();
  });

  // Every test gets a project of its own rather than a reset of one: a child process killed by a restart test
  // in the middle of a transaction leaves that transaction's locks in the emulator, which then refuses to
  // reset the database (409) for minutes.
  const fresh = async () => {
    project = `${PROJECT}-${clients.length + 1}`;
    db = new Firestore({ projectId: project });
    clients.push(db);
    return db;
  };
  runInvoiceStoreContract('Firestore emulator', async () => {
    const store = new FirestoreInvoiceStore(await fresh());
    return { store, childEnv: { FIRESTORE_EMULATOR_HOST: emulator.host, LEDGERX_TEST_PROJECT: project }, dispose: async () => {} };
  });
  runIdempotencyStoreContract('Firestore emulator', async () => ({
    store: new FirestoreIdempotencyStore(await fresh()),
    dispose: async () => {},
  }));

  runApiKeyStoreContract('Firestore emulator', async () => ({ store: new FirestoreApiKeyStore(await fresh()), dispose: async () => {} }));
  runWebhookStoreContract('Firestore emulator', async () => ({ store: new FirestoreWebhookStore(await fresh()), dispose: async () => {} }));
  // 120 a minute over 50-per-shard documents: three shards, so the contract also checks the shard caps add up.
  runRateLimiterContract('Firestore emulator (sharded)', async () => ({ store: new FirestoreRateLimiter(await fresh()), dispose: async () => {} }));

  describe('Firestore specifics', () => {
    it('backfills the review queue field of documents written before it, resumably and once, leaving newer writes alone', async () => {
      const store = new FirestoreInvoiceStore(await fresh());
      const legacy = Array.from({ length: 40 }, (_, i) => makeRecord({ id: `old-${String(i).padStart(2, '0')}`, at: i, status: 'SCORED', decision: i % 4 === 0 ? 'REVIEW' : i % 4 === 3 ? 'REJECT' : 'APPROVE' }));
      for (const r of legacy) await store.createIfAbsent(r);
      // As the adapter wrote them before the field existed.
      await Promise.all(legacy.map((r) => db.collection('invoices').doc(r.invoiceId).update({ inReviewQueue: FieldValue.delete() })));
      // Written by the current code: already indexed (drawn for audit), and reviewed meanwhile.
      await store.createIfAbsent(makeRecord({ id: 'new-audit', at: 100, status: 'SCORED', decision: 'APPROVE', auditSample: true }));
      expect((await store.list({ reviewQueue: true, order: 'oldest', limit: 100 })).items.map((s) => s.invoiceId)).toEqual(['new-audit']);

      const rate = 0.4;
      const drawn = legacy.filter((r) => r.decision!.decision === 'APPROVE' && inAuditSample(r.invoiceId, rate)).map((r) => r.invoiceId);
      expect(drawn.length).toBeGreaterThan(1);
      // Through the batch job, 7 documents a page; its first attempt dies after two pages and the retry resumes.
      const deps = { pipeline: { store, config: { auditSampleRate: rate } }, exportsBucket: 'exports' } as unknown as BatchDeps;
      let saved: ReviewQueueCheckpoint | undefined;
      const attempt = (dieAfter: number) => {
        let pages = 0;
        return createBatchHandlers(deps)['review-queue']({
          job: {} as never, params: { chunk: 7 }, checkpoint: saved as never, attempt: 1, log: silentLogger,
          progress: async (u: { checkpoint?: unknown }) => {
            saved = u.checkpoint as ReviewQueueCheckpoint;
            if (++pages === dieAfter) throw new Error('instance lost');
          },
        });
      };
      await expect(attempt(2)).rejects.toThrow('instance lost');
      expect(saved).toMatchObject({ scanned: 14, updated: 14 });
      const result = (await attempt(0)) as ReviewQueueCheckpoint;
      expect(result).toMatchObject({ scanned: legacy.length + 1, cursor: undefined });
      const updated = result.updated;
      expect(updated).toBe(legacy.length);
      const open = legacy.filter((r) => r.decision!.decision === 'REVIEW' || drawn.includes(r.invoiceId)).map((r) => r.invoiceId);
      expect((await store.list({ reviewQueue: true, order: 'oldest', limit: 100 })).items.map((s) => s.invoiceId)).toEqual([...open, 'new-audit']);
      for (const r of legacy) {
        expect((await store.get(r.invoiceId))?.decision?.auditSample, r.invoiceId).toBe(r.decision!.decision === 'APPROVE' ? drawn.includes(r.invoiceId) : undefined);
      }
      // Idempotent: a second pass finds nothing to do; a reviewed document stays out.
      await store.markReviewed(open[0]!, 1);
      expect(await store.backfillReviewQueue({ auditSampleRate: rate, limit: 100 })).toMatchObject({ scanned: legacy.length + 1, updated: 0 });
      expect((await store.list({ reviewQueue: true, order: 'oldest', limit: 100 })).items.map((s) => s.invoiceId)).toEqual([...open.slice(1), 'new-audit']);
    });

    it('counts pages per month atomically under concurrent increments', async () => {
      const usage = createFirestoreUsageCounter(await fresh());
      const march = new Date('2025-03-31T23:59:59Z');
      await Promise.all(Array.from({ length: 10 }, (_, i) => usage.addPages(i + 1, march)));
      await usage.addPages(4, new Date('2025-04-01T00:00:00Z'));
      expect(await usage.pagesIn('2025-03')).toBe(55);
      expect(await usage.pagesIn('2025-04')).toBe(4);
      expect(await usage.pagesIn('2025-05')).toBe(0);
      expect(await usage.months()).toEqual([{ month: '2025-03', pages: 55 }, { month: '2025-04', pages: 4 }]);
      // Spread over shards: no single document takes every increment of a month.
      const shards = await db.collection('usage').where('month', '==', '2025-03').get();
      expect(shards.size).toBeGreaterThan(1);
    });

    it('stores idempotency expiresAt as a Timestamp (the TTL policy ignores strings) and hashes unsafe keys', async () => {
      const store = new FirestoreIdempotencyStore(await fresh());
      await store.claim('ocr:inbox/a b.pdf#17', 60_000, new Date('2025-03-01T00:00:00Z'));
      const docs = (await db.collection('idempotency').get()).docs;
      expect(docs).toHaveLength(1);
      expect(docs[0]!.id).toMatch(/^h-[0-9a-f]{64}$/);
      expect(docs[0]!.get('key')).toBe('ocr:inbox/a b.pdf#17');
      expect(docs[0]!.get('expiresAt')).toBeInstanceOf(Timestamp);
    });

    it('reads one document for the supplier history, however many invoices the supplier has', async () => {
      // SUPPLIER_HISTORY_INVOICES=1000 reproduces the closing note's figure; the default keeps the suite quick.
      const earlier = Number(process.env.SUPPLIER_HISTORY_INVOICES ?? 120);
      const store = new FirestoreInvoiceStore(await fresh());
      const reads = countFirestoreReads();
      const readsAfter = async (count: number) => {
        for (let i = reads.invoices; i < count; i++, reads.invoices++) {
          const record = makeRecord({ id: `h-${i}`, at: i, total: 100 + (i % 7), date: '2025-01-10', iban: 'DE89370400440532013000', status: 'OCR_DONE' });
          await store.createIfAbsent(record);
          await store.transition(record.invoiceId, 'FEATURES_DONE', { supplierKey: 'acme', invoice: record.invoice });
        }
        reads.n = 0;
        const history = await store.supplierHistory('acme', 'DE89370400440532013000');
        expect(history.count).toBe(count);
        return reads.n;
      };
      try {
        const afterOne = await readsAfter(1);
        const afterMany = await readsAfter(earlier);
        console.info(`[gcp-adapters] supplier history reads: ${afterOne} after 1 invoice, ${afterMany} after ${earlier}`);
        expect(afterOne).toBe(1);
        expect(afterMany).toBe(1);
      } finally {
        reads.restore();
      }
    }, 120_000);

    it('keeps index fields at the top level of invoice documents', async () => {
      const store = new FirestoreInvoiceStore(await fresh());
      await store.createIfAbsent(makeRecord({ id: 'x', at: 1, total: 10, currency: 'EUR', date: '2025-01-02', iban: 'de89 3704', decision: 'REVIEW' }));
      const data = (await db.collection('invoices').doc('x').get()).data();
      expect(data).toMatchObject({ status: 'RECEIVED', totalAmount: 10, currency: 'EUR', invoiceDate: '2025-01-02', supplierIban: 'DE893704', decision: { decision: 'REVIEW' } });
      expect(await store.get('x')).toEqual(makeRecord({ id: 'x', at: 1, total: 10, currency: 'EUR', date: '2025-01-02', iban: 'de89 3704', decision: 'REVIEW' }));
    });
  });
});

/** Counts document and query reads made through the client (every read path the store could take). */
function countFirestoreReads() {
  const counter = { n: 0, invoices: 0, restore: () => {} };
  const patched: Array<() => void> = [];
  const wrap = <T extends object>(proto: T, method: keyof T & string) => {
    const original = proto[method] as unknown as (...args: unknown[]) => unknown;
    (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      counter.n += 1;
      return original.apply(this, args);
    };
    patched.push(() => ((proto as Record<string, unknown>)[method] = original));
  };
  // DocumentReference.get reads through Firestore.getAll: wrapping both would count a read twice.
  wrap(Query.prototype, 'get');
  wrap(Firestore.prototype, 'getAll');
  counter.restore = () => patched.forEach((undo) => undo());
  return counter;
}

const TOPIC_NAMES: Record<Topic, string> = {
  [Topics.objectFinalized]: 'ledgerx-object-finalized',
  [Topics.ocrCompleted]: 'ledgerx-ocr-completed',
  [Topics.featuresComputed]: 'ledgerx-features-computed',
  [Topics.invoiceScored]: 'ledgerx-invoice-scored',
  [Topics.deadLetter]: 'ledgerx-dead-letter',
};

interface Received {
  id: string;
  data: unknown;
  attributes: Record<string, string>;
  orderingKey: string;
}

/** Pulls `count` messages from a subscription with the real streaming-pull client, acking each. */
async function pull(pubsub: PubSub, subscription: string, count: number, timeoutMs = 15_000): Promise<Received[]> {
  const sub = pubsub.subscription(subscription);
  const received: Received[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${received.length} of ${count} messages`)), timeoutMs);
      sub.on('error', reject);
      sub.on('message', (m) => {
        received.push({ id: m.id, data: JSON.parse(m.data.toString('utf8')), attributes: m.attributes, orderingKey: m.orderingKey ?? '' });
        m.ack();
        if (received.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    await sub.close();
  }
  return received;
}

describe.skipIf(!pubsubReady)('Pub/Sub bus on the Pub/Sub emulator', () => {
  let emulator: RunningEmulator;
  let pubsub: PubSub;
  beforeAll(async () => {
    emulator = await startEmulator('pubsub');
    console.info(`[gcp-adapters] Pub/Sub emulator ready in ${emulator.startMs} ms`);
    process.env.PUBSUB_EMULATOR_HOST = emulator.host;
    pubsub = new PubSub({ projectId: PROJECT });
    for (const name of Object.values(TOPIC_NAMES)) {
      const [topic] = await pubsub.createTopic(name);
      await topic.createSubscription(`${name}-sub`, { enableMessageOrdering: true });
    }
  }, 90_000);
  afterAll(async () => {
    await pubsub?.close();
    await emulator?.stop();
  });

  it('publishes a validated JSON payload with attributes and returns the message id', async () => {
    const bus = createPubSubBus(pubsub, TOPIC_NAMES);
    const message = features('inv-1', { amount: 12.5 });
    const id = await bus.publish(Topics.featuresComputed, message, { attributes: { invoiceId: 'inv-1', schemaVersion: '1' } });
    expect(id).toMatch(/\S/);
    const [got] = await pull(pubsub, `${TOPIC_NAMES[Topics.featuresComputed]}-sub`, 1);
    expect(got).toMatchObject({ id, data: message, attributes: { invoiceId: 'inv-1', schemaVersion: '1' } });
  });

  it('delivers messages with one ordering key in publish order', async () => {
    const bus = createPubSubBus(pubsub, TOPIC_NAMES);
    const ids = ['a', 'b', 'c', 'd', 'e'].map((s) => `inv-${s}`);
    const published: string[] = [];
    for (const id of ids) published.push(await bus.publish(Topics.ocrCompleted, ocrCompleted(id), { orderingKey: 'supplier-1' }));
    const got = await pull(pubsub, `${TOPIC_NAMES[Topics.ocrCompleted]}-sub`, ids.length);
    expect(got.map((m) => m.id)).toEqual(published);
    expect(got.map((m) => (m.data as { invoiceId: string }).invoiceId)).toEqual(ids);
    expect(new Set(got.map((m) => m.orderingKey))).toEqual(new Set(['supplier-1']));
  });

  it('refuses an invalid payload before it reaches Pub/Sub', async () => {
    const bus = createPubSubBus(pubsub, TOPIC_NAMES);
    const bad = { ...ocrCompleted('inv-x'), contentSha256: 'not-a-hash' };
    const attempt = bus.publish(Topics.ocrCompleted, bad);
    await expect(attempt).rejects.toBeInstanceOf(PermanentError);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    // Nothing was published: the next message pulled is the valid one sent after.
    const good = ocrCompleted('inv-y');
    await bus.publish(Topics.ocrCompleted, good);
    const [got] = await pull(pubsub, `${TOPIC_NAMES[Topics.ocrCompleted]}-sub`, 1);
    expect(got?.data).toEqual(good);
  });

  it('lists the dead letters a hold subscription keeps, and replays chosen ones to the topic they came from', async () => {
    const [dl] = await pubsub.createTopic('ledgerx-dl-replay');
    await dl.createSubscription('ledgerx-dl-replay-hold');
    const [source] = await pubsub.createTopic('ledgerx-dl-source');
    await source.createSubscription('ledgerx-dl-source-push');
    await source.createSubscription('ledgerx-dl-source-observer');
    const payload = ocrCompleted('inv-dl-1');
    // A handler's dead letter (with its reason), and a bare message a dead-letter policy forwarded.
    const bus = createPubSubBus(pubsub, { ...TOPIC_NAMES, [Topics.deadLetter]: 'ledgerx-dl-replay' });
    await bus.publish(Topics.deadLetter, {
      topic: 'ledgerx-dl-source', subscription: 'ledgerx-dl-source-push', payload, attributes: { a: '1' }, reason: 'boom (gave up after 5 delivery attempts)',
      code: 'DOCAI_13', attempts: 5, firstAttemptAt: '2025-06-30T10:00:00.000Z', deadLetteredAt: '2025-06-30T10:05:00.000Z', invoiceId: 'inv-dl-1',
    });
    const bare = ocrCompleted('inv-dl-2');
    await dl.publishMessage({
      data: Buffer.from(JSON.stringify(bare)),
      attributes: { b: '2', CloudPubSubDeadLetterSourceSubscription: 'ledgerx-dl-source-push', CloudPubSubDeadLetterSourceSubscriptionProject: PROJECT, CloudPubSubDeadLetterSourceDeliveryCount: '5' },
    });

    const held = createPubSubDeadLetters(pubsub, 'ledgerx-dl-replay-hold');
    try {
      const listed = await held.list();
      expect(listed).toHaveLength(2);
      const [handler, forwarded] = [listed.find((e) => e.source === 'handler')!, listed.find((e) => e.source === 'pubsub')!];
      expect(handler).toMatchObject({ code: 'DOCAI_13', invoiceId: 'inv-dl-1', topic: 'ledgerx-dl-source', payload });
      expect(forwarded).toMatchObject({ code: 'DELIVERY_ATTEMPTS_EXHAUSTED', invoiceId: 'inv-dl-2', topic: 'ledgerx-dl-source', subscription: 'ledgerx-dl-source-push', attempts: 5, payload: bare, attributes: { b: '2' } });
      // Listing acknowledged nothing.
      expect(await held.list()).toHaveLength(2);

      expect(await held.replay({ invoiceId: 'inv-dl-2' })).toEqual({ replayed: 1, ids: [forwarded.id] });
      const [republished] = await pull(pubsub, 'ledgerx-dl-source-observer', 1);
      expect(republished).toMatchObject({ data: bare, attributes: { b: '2', replayOf: forwarded.id } });
      expect((await held.list()).map((e) => e.id)).toEqual([handler.id]);
    } finally {
      await held.close();
    }
  });
});
