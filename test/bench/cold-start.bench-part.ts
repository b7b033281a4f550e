/**
 * Cold start of each deployed function, measured as deployed: the bundle dist/functions/<name> (what Terraform
 * ships) started in a fresh process under the functions-framework runner, configured by the environment
 * Terraform sets, pointed at the Pub/Sub and Firestore emulators, the Cloud Storage test server (holding the
 * production models) and the fake Document AI (test/helpers/topology.ts, shared with the emulated-topology
 * test). Each gets one realistic request: ocr the push of a Cloud Storage notification for a generated
 * invoice, features and inference the push of the message the previous function published, upload-url a
 * signed-URL request. Reported per function: ms from spawn to the first handled request (2xx), the CPU time the
 * process used to get there (the part of the wall time that does not depend on how busy the machine is), and its
 * peak resident memory (VmHWM of /proc/<pid>/status, read just before it is stopped).
 * The emulators (JVMs) answer their first requests slowly, unlike the services: a first pass on another invoice
 * warms them and is not reported. Targets: < 1 s and < 256 MiB. Called by `npm run bench` (which builds first).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLocalOcrEngine } from '../../functions/adapters/local/ocr/index.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { storageNotificationOf, type FinalizedEvent } from '../gcs-server/server.js';
import { documentFromOcr, sha256Of } from '../helpers/fake-documentai.js';
import {
  assertBundlesFresh, BUCKETS, PROJECT, startFunction, startTopology, TOPICS, type FunctionName, type Topology,
} from '../helpers/topology.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

interface Probe {
  ms: number;
  /** CPU time of the process to that point: what the wall time is made of when the machine is idle. */
  cpuMs: number;
  peakRssMiB: number;
  status: number;
}

/** Starts `name`'s bundle, sends `request` as soon as it listens, and stops it once answered. */
async function probe(topology: Topology, name: FunctionName, request: { path: string; body: unknown; headers?: Record<string, string> }, env: Record<string, string> = {}): Promise<Probe> {
  const fn = await startFunction(name, { ...topology.env, ...env });
  try {
    const res = await fetch(fn.url + request.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers },
      body: JSON.stringify(request.body),
    });
    await res.arrayBuffer();
    const ms = performance.now() - fn.spawnedAt;
    if (!res.ok) throw new Error(`${name} answered ${res.status}:\n${fn.output().slice(-3000)}`);
    return { ms, cpuMs: fn.cpuMs(), peakRssMiB: fn.peakRssMiB(), status: res.status };
  } finally {
    await fn.stop();
  }
}

/** A Pub/Sub push body for `data` as the function's subscription sends it. */
function push(topic: string, data: unknown, attributes: Record<string, string> = {}) {
  const messageId = String(Date.now());
  return {
    path: `/projects/${PROJECT}/topics/${topic}`,
    body: {
      message: { data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'), attributes, messageId, publishTime: new Date().toISOString() },
      subscription: `projects/${PROJECT}/subscriptions/${topic}-bench`,
      deliveryAttempt: 1,
    },
  };
}

/** The next message on a pull subscription (what the previous function published). */
async function nextMessage(topology: Topology, subscription: string, timeoutMs = 30_000): Promise<unknown> {
  const sub = topology.pubsub.subscription(subscription);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing on ${subscription} within ${timeoutMs} ms`)), timeoutMs);
      sub.once('message', (m: { data: Buffer; ack(): void }) => {
        clearTimeout(timer);
        m.ack();
        resolve(JSON.parse(m.data.toString('utf8')) as unknown);
      });
    });
  } finally {
    await sub.close();
  }
}

export async function benchColdStart(): Promise<Record<string, number>> {
  assertBundlesFresh(['ocr', 'features', 'inference', 'upload-url']);
  const work = await mkdtemp(join(tmpdir(), 'ledgerx-cold-start-'));
  // The infrastructure only: every function is started by its probe.
  const topology = await startTopology({ functions: [] });
  try {
    const manifest = await generateCorpus({
      outDir: join(work, 'in'), count: 2, seed: 99,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    await topology.pubsub.topic(TOPICS.ocrCompleted).createSubscription('ocr-completed-bench');
    await topology.pubsub.topic(TOPICS.features).createSubscription('features-computed-bench');
    const engine = createLocalOcrEngine({ ocr: false });

    /** ocr -> features -> inference on one generated invoice, each function in a fresh process. */
    const chain = async (file: string) => {
      const pdf = new Uint8Array(await readFile(join(work, 'in', file)));
      const text = await engine.recognize({ bytes: pdf, fileName: 'x.pdf' }, { maxPages: 15, maxBytes: 1 << 26, timeoutMs: 60_000, languages: ['eng'] });
      topology.docai.answer(sha256Of(pdf), { document: documentFromOcr(text) });
      // The upload, as Cloud Storage announces it to ocr's subscription.
      const name = `inbox/2025/06/30/${file}`;
      const object = topology.storage.bucket(BUCKETS.inbox).file(name);
      await object.save(Buffer.from(pdf), { contentType: 'application/pdf', resumable: false });
      const [meta] = await object.getMetadata();
      const finalized: FinalizedEvent = {
        specversion: '1.0', id: '1', source: `//storage.googleapis.com/projects/_/buckets/${BUCKETS.inbox}`,
        type: 'google.cloud.storage.object.v1.finalized', subject: `objects/${name}`, time: String(meta.updated), datacontenttype: 'application/json',
        data: meta as FinalizedEvent['data'],
      };
      const notification = storageNotificationOf(finalized);
      const ocr = await probe(topology, 'ocr', push(TOPICS.objectFinalized, notification.data.toString('utf8'), notification.attributes));
      const features = await probe(topology, 'features', push(TOPICS.ocrCompleted, await nextMessage(topology, 'ocr-completed-bench')));
      const inference = await probe(topology, 'inference', push(TOPICS.features, await nextMessage(topology, 'features-computed-bench')));
      const { invoiceId } = (await nextMessage(topology, 'scored-observer')) as { invoiceId: string };
      const scored = await topology.invoices.get(invoiceId);
      if (scored?.decision?.basis !== 'models+rules') throw new Error('inference did not score with the production models');
      return { ocr, features, inference, bytes: pdf.length };
    };

    // The emulators are JVMs that are slow on their first requests; Cloud Storage, Pub/Sub and Firestore are
    // not. A first pass on another invoice warms them and is not reported.
    await chain(manifest.documents[1]!.file);
    const measured = await chain(manifest.documents[0]!.file);
    await engine.close();

    const result: Record<string, number> = {};
    const record = (fn: string, p: Probe) => {
      result[`${fn} ms to first handled event`] = Math.round(p.ms);
      result[`${fn} CPU ms to first handled event`] = Math.round(p.cpuMs);
      result[`${fn} peak RSS MiB`] = Math.round(p.peakRssMiB * 10) / 10;
    };
    record('ocr', measured.ocr);
    record('features', measured.features);
    record('inference', measured.inference);

    // upload-url signs with the key of its service account (offline here; IAM signBlob on GCP).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(work, 'upload-url-key.json');
    await writeFile(keyFile, JSON.stringify({
      type: 'service_account', project_id: PROJECT, client_email: `ledgerx-upload-url@${PROJECT}.iam.gserviceaccount.com`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), private_key_id: 'bench', client_id: '1',
    }));
    record('upload-url', await probe(topology, 'upload-url', { path: '/', body: { fileName: 'Rechnung 2025-06.pdf', contentType: 'application/pdf', sizeBytes: measured.bytes } }, {
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    }));
    return result;
  } finally {
    await topology.close();
    await rm(work, { recursive: true, force: true });
  }
}

// `npx tsx test/bench/cold-start.bench-part.ts` runs this part alone (after `npm run build`).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchColdStart(), null, 2));
}
