/**
 * The deployed topology, emulated on one machine:
 *
 *   upload -> Cloud Storage test server --finalize CloudEvent--> ocr ──Pub/Sub emulator (push)──> features
 *          ──Pub/Sub emulator (push)──> inference -> Firestore emulator (SCORED) + invoice-scored
 *
 * The functions are the production registrations of functions/index.ts (real wiring, real GCP adapters and
 * clients) served by functions-framework on local ports; only the OCR engine is the local one
 * (LEDGERX_OCR_ENGINE=local: there is no Document AI emulator). Every event is delivered several times:
 * the finalize event by the server plus three redeliveries, every Pub/Sub message through three push
 * subscriptions on the same topic. Each upload must still end as one SCORED record and one invoice-scored.
 *
 * Needs the Cloud SDK's Pub/Sub and Firestore emulators (Java); skips with a message when they are absent.
 * Run: npx vitest run test/e2e/emulated-topology.test.ts
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreInvoiceStore } from '../../functions/adapters/gcp/firestore-invoice-store.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { binaryModeHeaders, startGcsTestServer, type FinalizedEvent, type GcsTestServer } from '../gcs-server/server.js';
import { emulatorAvailable, startEmulator, type RunningEmulator } from '../helpers/emulators.js';
import { tempDir } from '../helpers/runtime.js';

const PROJECT = 'ledgerx-e2e';
const BUCKETS = { inbox: 'ledgerx-e2e-inbox', artifacts: 'ledgerx-e2e-artifacts', models: 'ledgerx-e2e-models', exports: 'ledgerx-e2e-exports' };
const TOPICS = {
  ocrCompleted: 'ledgerx-e2e-ocr-completed',
  features: 'ledgerx-e2e-features-computed',
  scored: 'ledgerx-e2e-invoice-scored',
  retrain: 'ledgerx-e2e-retrain-requested',
  deadLetter: 'ledgerx-e2e-dead-letter',
};
/** Copies of every delivery: at-least-once taken seriously. */
const COPIES = 3;
const available = emulatorAvailable('pubsub') && emulatorAvailable('firestore');
if (!available) console.warn('emulated-topology: skipped, the Cloud SDK Pub/Sub and Firestore emulators are not installed');

interface Served {
  url: string;
  close(): Promise<void>;
}

async function serve(name: string): Promise<Served> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Eventarc's behaviour for one event: POST in binary mode, retry with backoff until acked (2xx). */
async function deliverUntilAcked(url: string, event: FinalizedEvent, deadline: number): Promise<void> {
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: binaryModeHeaders(event),
      body: JSON.stringify(event.data),
    });
    await res.arrayBuffer();
    if (res.ok) return;
    await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
  }
  throw new Error('finalize event never acked');
}

describe.skipIf(!available)('emulated GCP topology (functions-framework + Pub/Sub and Firestore emulators + GCS test server)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let pubsub: PubSub;
  let gcs: GcsTestServer;
  let invoices: FirestoreInvoiceStore;
  let db: Firestore;
  const redeliveries: Array<Promise<void>> = [];

  beforeAll(async () => {
    const [ps, fs] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
    cleanup.push(() => ps.stop(), () => fs.stop());
    const functions = await prepareFunctions(ps, fs);
    cleanup.push(...functions.map((f) => f.close));
    const [ocr, features, inference] = functions;

    gcs = await startGcsTestServer({
      buckets: Object.values(BUCKETS),
      notifyUrl: ocr!.url,
      onFinalize: (event) => {
        if (event.data.bucket !== BUCKETS.inbox) return;
        // Redeliveries of the same finalize event, as Eventarc may send them, in the background.
        for (let i = 0; i < COPIES; i++) redeliveries.push(deliverUntilAcked(ocr!.url, event, Date.now() + 90_000));
      },
    });
    cleanup.push(() => gcs.close());
    process.env.STORAGE_EMULATOR_HOST = gcs.url;

    pubsub = new PubSub({ projectId: PROJECT });
    for (const topic of Object.values(TOPICS)) await pubsub.createTopic(topic);
    // N push subscriptions on one topic = every message delivered N times to the same function.
    for (let i = 0; i < COPIES; i++) {
      await pubsub.topic(TOPICS.ocrCompleted).createSubscription(`features-push-${i}`, {
        pushConfig: { pushEndpoint: `${features!.url}/projects/${PROJECT}/topics/${TOPICS.ocrCompleted}` },
        ackDeadlineSeconds: 60,
      });
      await pubsub.topic(TOPICS.features).createSubscription(`inference-push-${i}`, {
        pushConfig: { pushEndpoint: `${inference!.url}/projects/${PROJECT}/topics/${TOPICS.features}` },
        ackDeadlineSeconds: 60,
      });
    }
    await pubsub.topic(TOPICS.scored).createSubscription('scored-observer');
    await pubsub.topic(TOPICS.deadLetter).createSubscription('dead-letter-observer');

    db = new Firestore({ projectId: PROJECT });
    invoices = new FirestoreInvoiceStore(db, { collection: 'invoices' });
    cleanup.push(() => db.terminate(), () => pubsub.close());
  });
  afterAll(async () => {
    await Promise.allSettled(redeliveries);
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  async function prepareFunctions(ps: RunningEmulator, fs: RunningEmulator): Promise<Served[]> {
    Object.assign(process.env, {
      PUBSUB_EMULATOR_HOST: ps.host,
      FIRESTORE_EMULATOR_HOST: fs.host,
      GOOGLE_CLOUD_PROJECT: PROJECT,
      LEDGERX_RUNTIME: 'gcp',
      LEDGERX_ENVIRONMENT: 'e2e',
      LEDGERX_LOG_LEVEL: 'warn',
      LEDGERX_INBOX_BUCKET: BUCKETS.inbox,
      LEDGERX_ARTIFACTS_BUCKET: BUCKETS.artifacts,
      LEDGERX_MODELS_BUCKET: BUCKETS.models,
      LEDGERX_EXPORTS_BUCKET: BUCKETS.exports,
      LEDGERX_TOPIC_OCR_COMPLETED: TOPICS.ocrCompleted,
      LEDGERX_TOPIC_FEATURES: TOPICS.features,
      LEDGERX_TOPIC_INVOICE_SCORED: TOPICS.scored,
      LEDGERX_TOPIC_RETRAIN: TOPICS.retrain,
      LEDGERX_TOPIC_DEAD_LETTER: TOPICS.deadLetter,
      LEDGERX_OCR_ENGINE: 'local',
    });
    // The production registrations; their runtimes are built lazily, on the first event, from this env.
    await import('../../functions/index.js');
    return Promise.all(['ocr', 'features', 'inference'].map(serve));
  }

  async function pullAll(subscription: string, quietMs = 3_000): Promise<unknown[]> {
    const out: unknown[] = [];
    const sub = pubsub.subscription(subscription);
    let last = Date.now();
    const onMessage = (m: { data: Buffer; ack(): void }) => {
      out.push(JSON.parse(m.data.toString('utf8')) as unknown);
      m.ack();
      last = Date.now();
    };
    sub.on('message', onMessage);
    while (Date.now() - last < quietMs) await new Promise((r) => setTimeout(r, 250));
    sub.removeListener('message', onMessage);
    await sub.close();
    return out;
  }

  it('takes uploaded invoices to SCORED in Firestore, once each, despite every event arriving several times', async () => {
    const samples = await tempDir('e2e-upload');
    cleanup.push(samples.dispose);
    const manifest = await generateCorpus({
      outDir: samples.dir,
      count: 2,
      seed: 4242,
      mix: { bornDigital: 1, scan: 0, einvoicePdf: 0, einvoiceXml: 0 },
      problemRates: { exactDuplicate: 0, businessDuplicate: 0, nearDuplicate: 0, badFile: 0 },
    });
    const storage = new Storage({ projectId: PROJECT });
    const ids: string[] = [];
    for (const doc of manifest.documents) {
      const name = `inbox/2025/06/30/${doc.file}`;
      const file = storage.bucket(BUCKETS.inbox).file(name);
      await file.save(await readFile(join(samples.dir, doc.file)), { contentType: 'application/pdf', resumable: false });
      const [meta] = await file.getMetadata();
      ids.push(invoiceIdFor(BUCKETS.inbox, name, String(meta.generation)));
    }

    const deadline = Date.now() + 120_000;
    const statuses = async () => Promise.all(ids.map(async (id) => (await invoices.get(id))?.status));
    while (Date.now() < deadline && !(await statuses()).every((s) => s === 'SCORED')) await new Promise((r) => setTimeout(r, 500));
    expect(await statuses()).toEqual(ids.map(() => 'SCORED'));
    await Promise.all(redeliveries);

    for (const [i, id] of ids.entries()) {
      const record = await invoices.get(id);
      const truth = manifest.documents[i]!.truth!.fields;
      expect(record?.invoice?.fields.invoice_id?.value).toBe(truth.invoice_id);
      expect(record?.invoice?.fields.total_amount?.value).toBeCloseTo(truth.total_amount!, 2);
      expect(record?.decision?.decision).toMatch(/^(APPROVE|REVIEW|REJECT)$/);
    }
    // One record per upload, one invoice-scored per invoice, nothing dead-lettered.
    expect((await db.collection('invoices').count().get()).data().count).toBe(ids.length);
    const scored = (await pullAll('scored-observer')) as Array<{ invoiceId: string }>;
    expect(scored.map((m) => m.invoiceId).sort()).toEqual([...ids].sort());
    expect(await pullAll('dead-letter-observer', 1_000)).toEqual([]);
  });
});
