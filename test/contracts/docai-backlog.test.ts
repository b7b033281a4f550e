/**
 * The docai-backlog job end to end on the project's Cloud Storage test server and the Firestore emulator (invoice
 * records, claims, jobs, page counters), with a fake of the remote service only: a Document AI that behaves like
 * its batch LRO (an operation name at once, running for some polls, then output shards written under
 * `<output>/<operation id>/<input index>/` and one status per input, one of them an error). Saved real responses
 * (../shared/data/docai-samples) are the documents of the comparison with the online path (skipped without
 * them); without the Cloud SDK the suite skips.
 *
 * - the records equal those the online path (the OCR stage with the Document AI engine) makes for the same files;
 * - groups respect the files-per-request and in-flight bounds; a failed input ends FAILED with a dead letter;
 * - a run stopped after submitting (its lease lost) resumes by polling the same operation: one submission, one
 *   record and one `ocr-completed` per file; a rerun does nothing; two starts at once run one job;
 * - a job process killed (SIGKILL) after Document AI accepted a request and before its checkpoint finds that
 *   operation on resume (listOperations) and submits no group twice.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { camelizeKeys } from '../../functions/adapters/gcp/docai-mapping.js';
import { createDocumentAiEngine, type DocumentAiClientLike } from '../../functions/adapters/gcp/documentai-engine.js';
import { startBatchJob } from '../../functions/core/batch/start.js';
import { runJob, type JobStore } from '../../functions/core/learning/jobs.js';
import { Topics, type DeadLetter } from '../../functions/core/messages.js';
import type { BlobStore } from '../../functions/core/ports.js';
import { invoiceIdFor, sha256Hex } from '../../functions/core/pipeline/invoice-id.js';
import { runOcrStage } from '../../functions/core/pipeline/ocr-stage.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { emulatorAvailable, startEmulator, type RunningEmulator } from '../helpers/emulators.js';
import { backlogHandlers, backlogWorld, BUCKETS, gcsStore, VERSION } from '../helpers/docai-backlog-world.js';
import { createFakeDocumentAiBatch, ONE_PAGE_DOCUMENT, type FakeBatchAnswer } from '../helpers/fake-documentai-batch.js';
import { sharedDataDir } from '../helpers/fake-documentai.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const samples = path.join(sharedDataDir(), 'docai-samples');
const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[docai-backlog] Firestore emulator not installed (Cloud SDK): the docai-backlog suite is skipped');
if (!existsSync(samples)) console.warn('[docai-backlog] ../shared/data/docai-samples absent: the comparison with the online path on saved responses is skipped');

async function pdfWithPages(n: number, title: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  for (let i = 0; i < n; i++) doc.addPage([200, 200]);
  return doc.save();
}

describe.skipIf(!firestoreReady)('docai-backlog on the Cloud Storage test server and the Firestore emulator', () => {
  let emulator: RunningEmulator;
  let server: GcsTestServer;
  let blobs: BlobStore;
  const dbs: Firestore[] = [];
  const saved = (rel: string) => camelizeKeys(JSON.parse(readFileSync(path.join(samples, rel), 'utf8'))) as { text: string; pages: Array<Record<string, unknown>>; entities: unknown[] };
  /** Answers by content hash, shared by the batch fake and the online fake (same documents for the same files). */
  const answers = new Map<string, FakeBatchAnswer>();
  const answerFor = (sha: string): FakeBatchAnswer => answers.get(sha) ?? { error: { code: 13, message: 'no answer for this file' } };

  function world(project: string, artifacts: string = BUCKETS.artifacts) {
    const w = backlogWorld(project, blobs, artifacts);
    dbs.push(w.db);
    return w;
  }
  const handlersOf = backlogHandlers;

  const upload = async (name: string, bytes: Uint8Array | string, contentType = 'application/pdf') => {
    const stat = await blobs.write({ bucket: BUCKETS.inbox, name }, bytes, { contentType });
    return { ...stat, invoiceId: invoiceIdFor(BUCKETS.inbox, name, stat.generation) };
  };

  beforeAll(async () => {
    emulator = await startEmulator('firestore');
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    server = await startGcsTestServer({ buckets: [BUCKETS.inbox, BUCKETS.artifacts, 'artifacts-online'], defaultPageSize: 3 });
    blobs = gcsStore(server.url);
  }, 90_000);
  afterAll(async () => {
    for (const db of dbs) await db.terminate();
    await server?.close();
    await emulator?.stop();
  });

  it.skipIf(!existsSync(samples))('reads a backlog in batch requests and ends with the records the online path makes for the same files', async () => {
    const toolbox = new Uint8Array(readFileSync(path.join(samples, 'toolbox/toolbox_invoice_test.pdf')));
    const energy = new Uint8Array(readFileSync(path.join(samples, 'pix2info/invoice/a. Energy invoice (stained).pdf')));
    const broken = await pdfWithPages(1, 'fails in batch');
    const refused = await pdfWithPages(2, 'refused');
    answers.set(sha256Hex(toolbox), { document: saved('toolbox/toolbox_invoice_test-0.json') });
    answers.set(sha256Hex(energy), { document: saved('pix2info/invoice/a. Energy invoice (stained).json'), pagesPerShard: 1 });
    answers.set(sha256Hex(refused), { error: { code: 3, message: 'Document is encrypted' } });
    const files = {
      a: await upload('backlog/2024/a-toolbox.pdf', toolbox),
      b: await upload('backlog/2024/b-energy.pdf', energy),
      c: await upload('backlog/2024/c-toolbox-copy.pdf', toolbox),
      d: await upload('backlog/2024/d-broken.pdf', broken),
      e: await upload('backlog/2024/e-refused.pdf', refused),
      f: await upload('backlog/2024/f.xml', readFileSync(path.resolve(import.meta.dirname, '../fixtures/einvoice/cii-d16b-invoice.xml')), 'application/xml'),
      g: await upload('backlog/2024/g.txt', 'hello, not an invoice', 'text/plain'),
      h: await upload('backlog/2024/h-known.pdf', await pdfWithPages(1, 'known')),
    };
    const outside = await upload('uploads/x.pdf', toolbox);
    const w = world('ledgerx-backlog-a');
    const now = new Date().toISOString();
    await w.deps.store.createIfAbsent({
      invoiceId: files.h.invoiceId, status: 'RECEIVED', revision: 1, source: { bucket: BUCKETS.inbox, name: files.h.name, generation: files.h.generation },
      fileName: 'h-known.pdf', mimeType: 'application/pdf', sizeBytes: files.h.size, timings: {}, createdAt: now, updatedAt: now,
    });

    const fake = createFakeDocumentAiBatch(blobs, BUCKETS.artifacts, answerFor, 2);
    const handlers = handlersOf(w, fake);
    const params = { prefix: 'backlog/', filesPerRequest: 2, inFlight: 2 };
    // Two starts at once: one job.
    const starts = await Promise.all(['job-a1', 'job-a2'].map((id) => startBatchJob(w.jobs, { id, kind: 'docai-backlog', params, now: new Date() })));
    expect(starts.filter((s) => s.started)).toHaveLength(1);
    const jobId = starts.find((s) => s.started)!.job.id;
    const outcome = await runJob(jobId, { store: w.jobs, handlers, owner: 'test', log: silentLogger, now: () => new Date() });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.job?.errors).toEqual([]);

    // Requests: a, b | c, d | e (c is a's bytes, staged again in its own group); at most 2 files each.
    const requests = await fake.submitted();
    expect(requests).toHaveLength(3);
    expect(requests.map((r) => r.inputDocuments?.gcsDocuments?.documents?.length).sort()).toEqual([1, 2, 2]);
    for (const r of requests) expect(r).toMatchObject({ name: VERSION, skipHumanReview: true });
    // The third request waited for one of the first two to finish.
    expect(fake.maxRunning).toBe(2);

    const record = (f: { invoiceId: string }) => w.deps.store.get(f.invoiceId);
    for (const f of [files.a, files.b, files.c, files.f]) expect(await record(f)).toMatchObject({ status: 'OCR_DONE' });
    expect(await record(files.b)).toMatchObject({ pageCount: 2 });
    expect(await record(files.d)).toMatchObject({ status: 'FAILED', rejection: { code: 'DOCAI_13' } });
    expect(await record(files.e)).toMatchObject({ status: 'REJECTED', rejection: { code: 'PDF_ENCRYPTED' } });
    expect(await record(files.g)).toMatchObject({ status: 'REJECTED', rejection: { code: 'UNSUPPORTED_TYPE' } });
    expect(await record(files.h)).toMatchObject({ status: 'RECEIVED' });
    expect(await record(outside)).toBeNull();
    const letters = w.bus.of(Topics.deadLetter) as DeadLetter[];
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ code: 'DOCAI_13', invoiceId: files.d.invoiceId, payload: { name: files.d.name, generation: files.d.generation } });
    const completed = w.bus.of(Topics.ocrCompleted).map((m) => m.invoiceId).sort();
    expect(completed).toEqual([files.a, files.b, files.c, files.f].map((f) => f.invoiceId).sort());
    // Pages Document AI read: a (1), b (2), c again (1); the failed input is not billed.
    expect(await w.usage.pagesIn(new Date().toISOString().slice(0, 7))).toBe(4);
    // The working prefix is cleaned up.
    expect(await blobs.list(BUCKETS.artifacts, 'docai-backlog/')).toEqual([]);

    // The online path on the same files, in a world of its own (its own database and artifacts bucket).
    const online = world('ledgerx-backlog-online', 'artifacts-online');
    const client: DocumentAiClientLike = {
      async processDocument(request) {
        const answer = answerFor(sha256Hex(request.rawDocument!.content as Uint8Array));
        if ('error' in answer) throw Object.assign(new Error(`${answer.error.code} ${answer.error.message}`), { code: answer.error.code });
        return [{ document: answer.document as never }];
      },
      batchProcessDocuments: () => Promise.reject(new Error('no batch online')),
    };
    online.deps.ocr = createDocumentAiEngine(client, { processorVersion: VERSION, retry: { maxAttempts: 1 } });
    // The rejection's message says which call refused the file (`batch` / `processDocument`); its code is compared.
    const compared = ['status', 'revision', 'source', 'fileName', 'mimeType', 'sizeBytes', 'contentSha256', 'pageCount', 'rejection'] as const;
    for (const f of [files.a, files.b, files.c, files.e, files.f, files.g]) {
      await runOcrStage(online.deps, { bucket: BUCKETS.inbox, name: f.name, generation: f.generation, size: f.size, contentType: f.contentType }, { log: silentLogger });
      const [viaBatch, viaOnline] = [await record(f), await online.deps.store.get(f.invoiceId)];
      const pick = (r: typeof viaBatch) => ({ ...Object.fromEntries(compared.map((k) => [k, (r as Record<string, unknown> | null)?.[k]])), rejection: r?.rejection?.code });
      expect(pick(viaBatch), f.name).toEqual(pick(viaOnline));
      expect(viaBatch?.ocrUri?.replace(/^artifacts\//, '')).toBe(viaOnline?.ocrUri?.replace(/^artifacts-online\//, ''));
      if (viaBatch?.ocrUri) {
        // The stored OCR documents are the same but for the call's duration and the order of the entities,
        // which batch output groups by shard (the same entities, each with its page and box).
        const artifact = async (uri: string) => {
          const [bucket, ...name] = uri.split('/');
          const { elapsedMs: _e, entities, ...doc } = JSON.parse(new TextDecoder().decode(await blobs.read({ bucket: bucket!, name: name.join('/') }))) as Record<string, unknown>;
          return { ...doc, entities: (entities as unknown[]).map((x) => JSON.stringify(x)).sort() };
        };
        expect(await artifact(viaBatch.ocrUri)).toEqual(await artifact(viaOnline!.ocrUri!));
      }
    }
    expect(online.bus.of(Topics.ocrCompleted).map((m) => m.invoiceId).sort()).toEqual(completed);

    // A rerun of the finished job does nothing; a new run of the window finds nothing left to read.
    expect((await runJob(jobId, { store: w.jobs, handlers, owner: 'again', log: silentLogger, now: () => new Date() })).claimed).toBe(false);
    const rerun = await startBatchJob(w.jobs, { id: 'job-a3', kind: 'docai-backlog', params, now: new Date() });
    expect(rerun).toMatchObject({ started: true, job: { key: 'docai-backlog:prefix=backlog/#2' } });
    expect((await runJob('job-a3', { store: w.jobs, handlers, owner: 'test', log: silentLogger, now: () => new Date() })).status).toBe('succeeded');
    expect(await fake.submitted()).toHaveLength(3);
    expect(w.bus.of(Topics.ocrCompleted)).toHaveLength(4);
    expect(w.bus.of(Topics.deadLetter)).toHaveLength(1);
  }, 120_000);

  it('a run that loses its lease after submitting is resumed by polling the same operation: each file read once', async () => {
    const pdfs = await Promise.all([1, 2, 3].map((n) => pdfWithPages(n, `resume ${n}`)));
    for (const p of pdfs) answers.set(sha256Hex(p), { document: ONE_PAGE_DOCUMENT });
    const files = await Promise.all(pdfs.map((p, i) => upload(`backlog-resume/f${i}.pdf`, p)));
    const w = world('ledgerx-backlog-resume');
    const fake = createFakeDocumentAiBatch(blobs, BUCKETS.artifacts, answerFor, 3);
    const handlers = handlersOf(w, fake);
    // The first runner dies right after its checkpoint with a submitted operation (its heartbeat finds the
    // lease gone, as when the process is killed and another takes over).
    const dying: JobStore = Object.create(w.jobs) as JobStore;
    dying.heartbeat = async (id, owner, patch) => {
      const r = await w.jobs.heartbeat(id, owner, patch);
      const cp = patch.checkpoint as { inFlight?: unknown[] } | undefined;
      return cp?.inFlight?.length ? { ...r, held: false } : r;
    };
    const { job } = await startBatchJob(w.jobs, { id: 'job-r1', kind: 'docai-backlog', params: { prefix: 'backlog-resume/' }, now: new Date() });
    const first = await runJob(job.id, { store: dying, handlers, owner: 'first', log: silentLogger, now: () => new Date(), leaseMs: 1 });
    expect(first.status).toBe('running');
    const stopped = await w.jobs.get(job.id);
    const operation = (stopped?.checkpoint as { inFlight: Array<{ operation: string }> }).inFlight[0]!.operation;
    expect(operation).toMatch(/operations\//);
    expect(await fake.submitted()).toHaveLength(1);
    expect(w.bus.of(Topics.ocrCompleted)).toHaveLength(0);

    await new Promise((r) => setTimeout(r, 5));
    const second = await runJob(job.id, { store: w.jobs, handlers, owner: 'second', log: silentLogger, now: () => new Date() });
    expect(second.status).toBe('succeeded');
    expect(second.job?.attempts).toBe(2);
    expect(await fake.submitted()).toHaveLength(1);
    for (const f of files) expect(await w.deps.store.get(f.invoiceId)).toMatchObject({ status: 'OCR_DONE', pageCount: 1 });
    expect(w.bus.of(Topics.ocrCompleted).map((m) => m.invoiceId).sort()).toEqual(files.map((f) => f.invoiceId).sort());
  }, 120_000);

  it('a job process killed (SIGKILL) with its batch request in flight is resumed by polling the same operation', async () => {
    const pdfs = await Promise.all([1, 2, 3, 4].map((n) => pdfWithPages(1, `killed ${n}`)));
    for (const p of pdfs) answers.set(sha256Hex(p), { document: ONE_PAGE_DOCUMENT });
    const files = await Promise.all(pdfs.map((p, i) => upload(`backlog-killed/f${i}.pdf`, p)));
    const project = 'ledgerx-backlog-killed';
    const w = world(project);
    const state = `killed-${Date.now()}`;
    const { job } = await startBatchJob(w.jobs, { id: 'job-k1', kind: 'docai-backlog', params: { prefix: 'backlog-killed/', filesPerRequest: 2, inFlight: 2 }, now: new Date() });
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../helpers/docai-backlog-child.ts')], {
      env: { ...process.env, LEDGERX_TEST_GCS_URL: server.url, LEDGERX_TEST_PROJECT: project, LEDGERX_TEST_JOB_ID: job.id, LEDGERX_TEST_FAKE_STATE: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    // Both requests submitted and checkpointed, neither finished: kill the process.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const cp = (await w.jobs.get(job.id))?.checkpoint as { inFlight?: unknown[] } | undefined;
      if ((cp?.inFlight?.length ?? 0) >= 2) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the job process never had two requests in flight: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const killed = await w.jobs.get(job.id);
    expect(killed?.status).toBe('running');
    const operations = (killed?.checkpoint as { inFlight: Array<{ operation: string }> }).inFlight.map((o) => o.operation).sort();
    for (const f of files) expect(await w.deps.store.get(f.invoiceId)).toBeNull();

    // Here, after the dead process's lease: the same operations are polled and collected, nothing submitted again.
    const fake = createFakeDocumentAiBatch(blobs, BUCKETS.artifacts, answerFor, 0, state);
    expect(await fake.submitted()).toHaveLength(2);
    await fake.finishAll();
    await new Promise((r) => setTimeout(r, 2_100));
    const resumed = await runJob(job.id, { store: w.jobs, handlers: handlersOf(w, fake), owner: 'resumer', log: silentLogger, now: () => new Date() });
    expect(resumed.status).toBe('succeeded');
    expect(resumed.job?.attempts).toBe(2);
    expect(await fake.submitted()).toHaveLength(2);
    expect(operations).toHaveLength(2);
    for (const f of files) expect(await w.deps.store.get(f.invoiceId)).toMatchObject({ status: 'OCR_DONE', pageCount: 1 });
    expect(w.bus.of(Topics.ocrCompleted).map((m) => m.invoiceId).sort()).toEqual(files.map((f) => f.invoiceId).sort());
    expect(await blobs.list(BUCKETS.artifacts, 'docai-backlog/job-k1/')).toEqual([]);
  }, 180_000);

  it('a job process killed (SIGKILL) after the request was accepted, before its checkpoint, resumes without submitting the group again', async () => {
    const pdfs = await Promise.all([1, 2, 3, 4].map((n) => pdfWithPages(1, `accepted ${n}`)));
    for (const p of pdfs) answers.set(sha256Hex(p), { document: ONE_PAGE_DOCUMENT });
    const files = await Promise.all(pdfs.map((p, i) => upload(`backlog-accepted/f${i}.pdf`, p)));
    const project = 'ledgerx-backlog-accepted';
    const w = world(project);
    const state = `accepted-${Date.now()}`;
    const { job } = await startBatchJob(w.jobs, { id: 'job-s1', kind: 'docai-backlog', params: { prefix: 'backlog-accepted/', filesPerRequest: 2, inFlight: 2 }, now: new Date() });
    // The test fake's fault point kills the job process the moment Document AI accepts its first request.
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../helpers/docai-backlog-child.ts')], {
      env: { ...process.env, LEDGERX_TEST_GCS_URL: server.url, LEDGERX_TEST_PROJECT: project, LEDGERX_TEST_JOB_ID: job.id, LEDGERX_TEST_FAKE_STATE: state, LEDGERX_TEST_FAKE_DOCAI_KILL_AFTER_SUBMIT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const signal = await new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, sig) => resolve(sig ?? code)));
    expect(signal, stderr.slice(-2000)).toBe('SIGKILL');
    // Accepted, but the checkpoint only has the intent: no operation name.
    const killed = await w.jobs.get(job.id);
    expect(killed?.status).toBe('running');
    expect(killed?.checkpoint).toMatchObject({ inFlight: [], submitting: { group: 'job-s1/g00001', attempt: 1 } });
    const fake = createFakeDocumentAiBatch(blobs, BUCKETS.artifacts, answerFor, 0, state);
    expect(await fake.submitted()).toHaveLength(1);
    // Still running for three more polls, with no document status: the resumed job waits instead of sending it.
    await fake.finishAll(3);

    await new Promise((r) => setTimeout(r, 2_100));
    const resumed = await runJob(job.id, { store: w.jobs, handlers: handlersOf(w, fake), owner: 'resumer', log: silentLogger, now: () => new Date() });
    expect(resumed.status).toBe('succeeded');
    expect(resumed.job?.attempts).toBe(2);
    // Two groups, each submitted once: the first one's operation was found, not sent again.
    const requests = await fake.submitted();
    const outputs = requests.map((r) => r.documentOutputConfig?.gcsOutputConfig?.gcsUri).sort();
    expect(outputs).toEqual([`gs://${BUCKETS.artifacts}/docai-backlog/job-s1/g00001/out/1/`, `gs://${BUCKETS.artifacts}/docai-backlog/job-s1/g00002/out/1/`]);
    expect(resumed.job?.counts).toMatchObject({ requests: 2, done: 4, failed: 0 });
    for (const f of files) expect(await w.deps.store.get(f.invoiceId)).toMatchObject({ status: 'OCR_DONE', pageCount: 1 });
    expect(w.bus.of(Topics.ocrCompleted).map((m) => m.invoiceId).sort()).toEqual(files.map((f) => f.invoiceId).sort());
    expect(await blobs.list(BUCKETS.artifacts, 'docai-backlog/job-s1/')).toEqual([]);
  }, 180_000);
});
