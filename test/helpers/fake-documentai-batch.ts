/**
 * A stand-in for Document AI's batch processing (there is no emulator), behaving like the real long-running
 * operation: `batchProcessDocuments` returns an operation name at once; the operation stays running for a
 * number of polls, then reads each input from Cloud Storage (the project's test server), writes that input's
 * output shards to `<output>/<operation id>/<input index>/<name>-<shard>.json` and finishes with one
 * `individualProcessStatuses` entry per input (an error for the inputs answered with one).
 *
 * Its state (the operations) lives in the bucket too, under `fake-docai/<state>/`, so that a second process (a
 * job resumed after a SIGKILL) given the same `state` polls the operations the first one submitted, and lists
 * them (`listOperations`: names and encoded metadata, as the operations API answers).
 *
 * Fault point (tests only): with LEDGERX_TEST_FAKE_DOCAI_KILL_AFTER_SUBMIT=1 in its environment, the process
 * kills itself with SIGKILL once Document AI has accepted the first request, before the caller sees its name.
 */
import { createHash } from 'node:crypto';
import type { protos } from '@google-cloud/documentai';
import type { DocumentAiBatchClientLike } from '../../functions/adapters/gcp/documentai-batch.js';
import { parseGcsUri } from '../../functions/adapters/gcp/documentai-engine.js';
import { BlobNotFoundError, type BlobStore } from '../../functions/core/ports.js';
import { splitIntoShards } from './docai-shards.js';

type IBatchProcessRequest = protos.google.cloud.documentai.v1.IBatchProcessRequest;

export type FakeBatchAnswer = { document: { text: string; pages: Array<Record<string, unknown>>; entities?: unknown[] }; pagesPerShard?: number } | { error: { code: number; message: string } };

/** A one-page Document (no entities), for inputs whose content does not matter. */
export const ONE_PAGE_DOCUMENT = { text: 'Invoice', pages: [{ pageNumber: 1, dimension: { width: 200, height: 200, unit: 'points' } }], entities: [] };

interface StoredOperation {
  request: IBatchProcessRequest;
  pollsLeft: number;
  metadata?: unknown;
  error?: { code: number; message: string };
}

export interface FakeDocumentAiBatch extends DocumentAiBatchClientLike {
  /** Operations submitted (from every process sharing the bucket). */
  submitted(): Promise<IBatchProcessRequest[]>;
  /** Lets every operation submitted so far finish at its next poll (or after `afterPolls` more polls). */
  finishAll(afterPolls?: number): Promise<void>;
  /** The most operations running at once that this instance saw at a submission (that one included). */
  readonly maxRunning: number;
}

/**
 * `answerFor(sha256)` answers each input by the SHA-256 of its bytes; `pendingPolls` polls see the operation
 * running before it finishes. `bucket` holds the fake's own state.
 */
export function createFakeDocumentAiBatch(
  store: BlobStore,
  bucket: string,
  answerFor: (sha256: string) => FakeBatchAnswer,
  pendingPolls = 1,
  state = String(Math.random()).slice(2),
  /** The first `refusals` operations end with this error as a whole (no input read), like a quota refusal. */
  refuse: { count: number; error: { code: number; message: string } } = { count: 0, error: { code: 8, message: '' } },
): FakeDocumentAiBatch {
  let refusals = refuse.count;
  const opRef = (id: string) => ({ bucket, name: `fake-docai/${state}/${id}.json` });
  const readOp = async (id: string): Promise<StoredOperation | null> => {
    try {
      return JSON.parse(new TextDecoder().decode(await store.read(opRef(id)))) as StoredOperation;
    } catch (err) {
      if (err instanceof BlobNotFoundError) return null;
      throw err;
    }
  };
  const writeOp = (id: string, op: StoredOperation) => store.write(opRef(id), JSON.stringify(op), { contentType: 'application/json' });

  async function run(id: string, request: IBatchProcessRequest) {
    const out = request.documentOutputConfig?.gcsOutputConfig?.gcsUri ?? '';
    const statuses = [];
    for (const [i, input] of (request.inputDocuments?.gcsDocuments?.documents ?? []).entries()) {
      const uri = input.gcsUri ?? '';
      const ref = parseGcsUri(uri);
      const sha256 = createHash('sha256').update(await store.read(ref)).digest('hex');
      const answer = answerFor(sha256);
      if ('error' in answer) {
        statuses.push({ inputGcsSource: uri, status: { code: answer.error.code, message: answer.error.message } });
        continue;
      }
      const folder = `${out.replace(/\/?$/, '/')}${id}/${i}`;
      const base = ref.name.split('/').pop()!;
      const target = parseGcsUri(folder);
      for (const [k, shard] of splitIntoShards(answer.document, answer.pagesPerShard ?? 1).entries()) {
        await store.write({ bucket: target.bucket, name: `${target.name}/${base}-${k}.json` }, JSON.stringify(shard), { contentType: 'application/json' });
      }
      statuses.push({ inputGcsSource: uri, status: {}, outputGcsDestination: folder });
    }
    return { state: 'SUCCEEDED', individualProcessStatuses: statuses };
  }

  let maxRunning = 0;
  return {
    get maxRunning() {
      return maxRunning;
    },
    async batchProcessDocuments(request) {
      const running = (await Promise.all((await store.list(bucket, `fake-docai/${state}/`)).map((o) => readOp(o.name.split('/').pop()!.replace(/\.json$/, ''))))).filter((op) => op && op.metadata === undefined);
      maxRunning = Math.max(maxRunning, running.length + 1);
      const id = String(Date.now()) + String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
      await writeOp(id, { request, pollsLeft: pendingPolls });
      if (process.env.LEDGERX_TEST_FAKE_DOCAI_KILL_AFTER_SUBMIT === '1') process.kill(process.pid, 'SIGKILL');
      return [{ name: `projects/p/locations/eu/operations/${id}` }];
    },
    async *listOperationsAsync(request) {
      if (request.name !== 'projects/p/locations/eu') throw Object.assign(new Error(`5 NOT_FOUND: ${request.name}`), { code: 5 });
      for (const o of await store.list(bucket, `fake-docai/${state}/`)) {
        const id = o.name.split('/').pop()!.replace(/\.json$/, '');
        yield { name: `projects/p/locations/eu/operations/${id}`, metadata: { type_url: 'type.googleapis.com/google.cloud.documentai.v1.BatchProcessMetadata' } };
      }
    },
    async checkBatchProcessDocumentsProgress(name) {
      const id = name.split('/').pop()!;
      const op = await readOp(id);
      if (!op) throw Object.assign(new Error(`5 NOT_FOUND: operation ${name}`), { code: 5 });
      if (op.pollsLeft > 0) {
        await writeOp(id, { ...op, pollsLeft: op.pollsLeft - 1 });
        return { done: false, metadata: { state: 'RUNNING' as never } };
      }
      if (op.metadata === undefined && refusals > 0) {
        refusals -= 1;
        op.metadata = { state: 'FAILED', individualProcessStatuses: [] };
        op.error = refuse.error;
        await writeOp(id, op);
      }
      if (op.metadata === undefined) {
        op.metadata = await run(id, op.request);
        await writeOp(id, op);
      }
      return { done: true, metadata: op.metadata as never, ...(op.error ? { error: op.error } : {}) };
    },
    async finishAll(afterPolls = 0) {
      for (const o of await store.list(bucket, `fake-docai/${state}/`)) {
        const id = o.name.split('/').pop()!.replace(/\.json$/, '');
        const op = await readOp(id);
        if (op && op.pollsLeft > afterPolls) await writeOp(id, { ...op, pollsLeft: afterPolls });
      }
    },
    async submitted() {
      const ops = await store.list(bucket, `fake-docai/${state}/`);
      return Promise.all(ops.map(async (o) => ((await readOp(o.name.split('/').pop()!.replace(/\.json$/, '')))!).request));
    },
  };
}
