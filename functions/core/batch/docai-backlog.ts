/**
 * `docai-backlog`: a prefix of the inbox holding a backlog (thousands of files) read through Document AI batch
 * requests of many files each, instead of one online call per file, ending with the same records as the online
 * path: every file is finally handed to the OCR stage itself (`runOcrStage`), whose engine answers with the
 * document the batch request produced. So the artifact, the OCR_DONE fields, the idempotency claim
 * `ocr:<invoiceId>` and the `ocr-completed` message are the online path's, by construction.
 *
 * - Planning: objects under the prefix, in name order, without an invoice record (one that has a record was
 *   delivered by its finalize event, or by an earlier run). Each file is read once (exactly its generation),
 *   hashed and screened as the online engine screens it. XML e-invoices, files whose OCR is already cached by
 *   content hash, and files the online path rejects (empty, unsupported, encrypted, too many pages) never need
 *   Document AI: they go through the OCR stage at once. The others are staged for batch processing,
 *   deduplicated by content (identical files are read once; the second one is a cache hit).
 * - Groups of up to `filesPerRequest` files (and a bounded page count) per batch request, at most `inFlight`
 *   requests at a time; nothing is submitted that would take the month beyond the page budget.
 * - Checkpoint: the listing position, the group being staged, and each submitted operation's name, so that a
 *   run that dies after submitting resumes by polling the same operation (never resubmitting it). A group's
 *   file list lives next to its input files (the service's `manifest`), not in the job record.
 * - A submission is checkpointed as an intent (group and attempt, whose output prefix is deterministic) before
 *   the request is sent: a run that dies between the request and the checkpoint of its operation asks the
 *   service on resume whether that request was accepted (`findSubmitted`) and polls it instead of paying for
 *   the group's pages twice.
 * - Per input: a document goes through the OCR stage; an INVALID_ARGUMENT ends REJECTED with the online path's
 *   reason; any other error ends FAILED with the reason, published to the dead letters (a replay reads the
 *   file online). Nothing is dropped silently.
 */
import { PermanentError } from '../errors.js';
import { detectFileType } from '../invoice/file-type.js';
import type { JobContext } from '../learning/jobs.js';
import { JobPermanentError } from '../learning/jobs.js';
import { Topics, type DeadLetter, type ObjectFinalized } from '../messages.js';
import type { OcrDocument } from '../ocr-document.js';
import { usageMonth, type BlobStat, type Logger, type OcrEngine, type OcrLimits } from '../ports.js';
import { failInvoiceOf } from '../pipeline/dead-letter-invoice.js';
import { invoiceIdFor, sha256Hex } from '../pipeline/invoice-id.js';
import { ocrArtifactRef, runOcrStage } from '../pipeline/ocr-stage.js';
import type { BatchDeps } from './deps.js';
import type { DocaiBacklogParams } from './params.js';

/** One file of a group, as its manifest records it. */
export interface BacklogFile {
  name: string;
  generation: string;
  size: number;
  contentType?: string | undefined;
  updatedAt: string;
  sha256: string;
  mimeType: string;
  pages: number;
}

/** What Document AI said about one input of a finished operation. */
export type BatchInputResult =
  | { sha256: string; ok: true; output: string }
  | { sha256: string; ok: false; code: number; message: string };

export type BatchPoll =
  | { done: false }
  /** `error`: the whole operation failed (inputs without a result of their own share it). */
  | { done: true; inputs: BatchInputResult[]; error?: { code: number; message: string } | undefined };

/**
 * Document AI batch processing as the job needs it; the GCP adapter is `adapters/gcp/documentai-batch.ts`.
 * Its calls are rate-governed and retried on quota errors by the adapter. Group keys are unique per job.
 */
export interface OcrBatchService {
  /** The OCR engine name of the artifacts (`documentai`): the online path's OCR cache key. */
  readonly engineName: string;
  /** Files per batch request and pages per file Document AI takes. */
  readonly limits: { filesPerRequest: number; pagesPerFile: number; pagesInFlight: number };
  /** The online engine's checks: type and pages. Throws PermanentError (a RejectReason) for a file the online path rejects. */
  screen(bytes: Uint8Array, limits: OcrLimits): Promise<{ mimeType: string; pages: number }>;
  /** The online engine's reading of an INVALID_ARGUMENT about a file: the same RejectReason. */
  refusal(message: string, mimeType: string): PermanentError;
  /** Writes one input file of group `group` (content-addressed: the same bytes twice are one object). */
  stage(group: string, sha256: string, bytes: Uint8Array, mimeType: string): Promise<void>;
  /**
   * Stores the group's manifest and submits its batch request; resolves with the operation's name. `attempt` (1,
   * then one more per submission of the same group after a refusal as a whole) makes the request's output
   * prefix deterministic per job, group and attempt, which is what {@link findSubmitted} recognises.
   */
  submit(group: string, files: readonly BacklogFile[], attempt: number): Promise<string>;
  /**
   * Whether Document AI accepted submission `attempt` of `group` (a run that died after the request, before its
   * checkpoint): `found` with its operation; `unknown` while an operation created since `since` shows no document
   * yet (it may be this one: ask again later); `absent` otherwise. `exclude` names operations known not to be it
   * (the group's earlier attempts, the job's other requests in flight).
   */
  findSubmitted(group: string, attempt: number, options: { since: string; exclude: readonly string[] }): Promise<FoundSubmission>;
  manifest(group: string): Promise<BacklogFile[]>;
  poll(operation: string): Promise<BatchPoll>;
  /** The document of one successful input: its output shards merged and mapped. */
  read(output: string): Promise<OcrDocument>;
  /** Deletes the group's input, manifest and output objects; failures are logged, never thrown. */
  cleanup(group: string): Promise<void>;
}

export type FoundSubmission = { state: 'found'; operation: string } | { state: 'unknown' } | { state: 'absent' };

interface InFlight {
  group: string;
  operation: string;
  pages: number;
  files: number;
  /** Submissions of this group after the first (a whole operation refused for quota or availability). */
  resubmitted?: number | undefined;
  /** The operations of those earlier submissions (told apart from this one when a resubmission is resumed). */
  earlier?: string[] | undefined;
}

/** A submission about to be sent: saved before the request (see runDocaiBacklog). */
interface SubmitIntent {
  group: string;
  /** 1 for the group's first submission, one more per resubmission. */
  attempt: number;
  pages: number;
  files: number;
  /** For a resubmission: the refused operation it replaces in `inFlight`. */
  replaces?: string | undefined;
  /** When the intent was saved (ISO 8601): the request, if sent, was accepted after it. */
  at: string;
}

export interface DocaiBacklogCheckpoint {
  /** Objects up to this name were planned (staged, handled at once, or skipped). */
  afterName?: string | undefined;
  /** The group being staged: its key and files (small: only the group's own, until it is submitted). */
  staging?: { group: string; files: BacklogFile[] } | undefined;
  inFlight: InFlight[];
  /** A request being sent: its operation is not known until it is in `inFlight`. */
  submitting?: SubmitIntent | undefined;
  nextGroup: number;
  listed: boolean;
  counts: Record<string, number>;
}

export interface DocaiBacklogResult {
  counts: Record<string, number>;
  /** Files that ended FAILED (up to 200) with the reason. */
  failed: Array<{ name: string; code: string; reason: string }>;
}

const HANDOFF_CONCURRENCY = 8;
const POLL_MS = 15_000;
const MAX_FAILED_LISTED = 200;
/** DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const RESUBMITTED_CODES: ReadonlySet<number> = new Set([4, 8, 14]);
const MAX_RESUBMITS = 3;

/**
 * Whether `next` must start a new batch request after `group` (files in listing order): a request holds at most
 * `limits.files` files and `limits.pages` pages, except that a file above the page bound goes alone.
 */
export function closesGroup(group: { files: number; pages: number }, next: { pages: number }, limits: { files: number; pages: number }): boolean {
  return group.files > 0 && (group.files >= limits.files || group.pages + next.pages > limits.pages);
}

/** The OCR stage's event for an inbox object (what its finalize notification says). */
function eventOf(f: { name: string; generation: string; size: number; contentType?: string | undefined; updatedAt: string }, bucket: string): ObjectFinalized {
  return { bucket, name: f.name, generation: f.generation, size: f.size, contentType: f.contentType, timeCreated: f.updatedAt };
}

/** An engine that answers the OCR stage with what was already read (a batch output, or a screening error). */
function answeringEngine(name: string, sha256: string, answer: () => Promise<OcrDocument>): OcrEngine {
  return {
    name,
    recognize: async (input) => {
      // The stage reads the object again: bytes that changed since planning (they cannot: a generation is
      // immutable) would not be given another file's document.
      if (sha256Hex(input.bytes) !== sha256) throw new Error('the object no longer has the bytes that were batch processed');
      return answer();
    },
  };
}

export interface DocaiBacklogOptions {
  /** Default prefix (the configured backlog prefix) when the job names none. */
  backlogPrefix?: string | undefined;
  /** Injectable wait between polls (tests). */
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
}

export async function runDocaiBacklog(
  deps: BatchDeps,
  service: OcrBatchService | undefined,
  ctx: JobContext<DocaiBacklogCheckpoint>,
  params: DocaiBacklogParams,
  options: DocaiBacklogOptions = {},
): Promise<DocaiBacklogResult> {
  if (!service) {
    throw new JobPermanentError('NOT_AVAILABLE', 'docai-backlog needs Document AI: run it with the GCP batch function (locally, `ledgerx process <folder>` reads a backlog)');
  }
  const { pipeline } = deps;
  const { config, store, blobs, clock } = pipeline;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = options.pollMs ?? POLL_MS;
  const log = ctx.log;
  const cp: DocaiBacklogCheckpoint = ctx.checkpoint
    ? structuredClone(ctx.checkpoint)
    : { inFlight: [], nextGroup: 1, listed: false, counts: {} };
  const counts: Record<string, number> = { objects: 0, skipped: 0, direct: 0, staged: 0, duplicates: 0, requests: 0, done: 0, rejected: 0, failed: 0, overBudget: 0, ...cp.counts };
  const failed: DocaiBacklogResult['failed'] = [];
  const inc = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
  const save = async () => {
    cp.counts = { ...counts };
    await ctx.progress({ checkpoint: structuredClone(cp), counts: { ...counts } });
    deps.onProgress?.({ ...counts }, undefined);
  };
  const { maxBytes, maxPages, timeoutMs, languages } = config.ocr;
  const limits: OcrLimits = { maxBytes, maxPages: Math.min(maxPages, service.limits.pagesPerFile), timeoutMs, languages };
  const filesPerRequest = Math.min(params.filesPerRequest, service.limits.filesPerRequest);
  const pagesPerRequest = Math.max(1, Math.floor(service.limits.pagesInFlight / params.inFlight));
  const budget = params.pageBudget ?? deps.pageBudget;
  const named = params.prefix ?? options.backlogPrefix;
  // The whole inbox is never a backlog by default: a prefix is named, or configured.
  if (!named) throw new JobPermanentError('INVALID_PARAMS', 'docai-backlog needs a prefix (params.prefix, or LEDGERX_BACKLOG_PREFIX)');
  const prefix = config.inboxPrefix + named;
  const bucket = config.buckets.inbox;
  const groupKey = (n: number) => `${ctx.job.id}/g${String(n).padStart(5, '0')}`;

  /** The OCR stage for one file, with `engine` as its OCR engine; its outcome counted. */
  const handOff = async (f: Pick<BacklogFile, 'name' | 'generation' | 'size' | 'contentType' | 'updatedAt'>, engine: OcrEngine, stageLog: Logger) => {
    const outcome = await runOcrStage({ ...pipeline, ocr: engine }, eventOf(f, bucket), { log: stageLog });
    if (outcome.outcome === 'rejected') inc('rejected');
    else if (outcome.outcome === 'done') inc('done');
    else inc('skipped');
  };

  /** A file Document AI could not read: FAILED with the reason, and a dead letter a replay reads online. */
  const failFile = async (f: BacklogFile, code: string, reason: string) => {
    const invoiceId = invoiceIdFor(bucket, f.name, f.generation);
    // Collected again after a crash: a file already FAILED keeps its one dead letter.
    if ((await store.get(invoiceId))?.status === 'FAILED') return void inc('skipped');
    // The record as the OCR stage creates it (RECEIVED), through the stage itself: it throws this error.
    await handOff(f, answeringEngine(service.engineName, f.sha256, () => Promise.reject(new BatchInputError(code, reason))), log).catch((err: unknown) => {
      if (!(err instanceof BatchInputError)) throw err;
    });
    const now = clock.now().toISOString();
    const entry: DeadLetter = {
      topic: Topics.objectFinalized, subscription: 'batch:docai-backlog', payload: eventOf(f, bucket), attributes: { jobId: ctx.job.id },
      reason, code, attempts: 1, firstAttemptAt: now, deadLetteredAt: now, invoiceId,
    };
    await pipeline.bus.publish(Topics.deadLetter, entry);
    if (await failInvoiceOf(store, entry, log)) {
      inc('failed');
      if (failed.length < MAX_FAILED_LISTED) failed.push({ name: f.name, code, reason });
    } else {
      inc('skipped');
    }
  };

  /** Collects one finished operation: every input handed to the OCR stage or failed; then its objects deleted. */
  const collect = async (op: InFlight, poll: Extract<BatchPoll, { done: true }>) => {
    const files = await service.manifest(op.group);
    const bySha = new Map(poll.inputs.map((r) => [r.sha256, r]));
    const okPages = [...new Map(files.filter((f) => bySha.get(f.sha256)?.ok).map((f) => [f.sha256, f.pages])).values()].reduce((s, p) => s + p, 0);
    // Pages Document AI read are billed whatever happens next: counted once per operation (before the
    // hand-off, so that a crash during it over-counts rather than under-counts against the budget).
    if (deps.usage && okPages > 0) await deps.usage.addPages(okPages, clock.now()).catch((err: unknown) => log.warn('usage counter increment failed', { error: String(err) }));
    const documents = new Map<string, Promise<OcrDocument>>();
    for (let i = 0; i < files.length; i += HANDOFF_CONCURRENCY) {
      await Promise.all(
        files.slice(i, i + HANDOFF_CONCURRENCY).map(async (f) => {
          const r = bySha.get(f.sha256);
          if (!r) {
            const e = poll.error;
            return failFile(f, e ? `DOCAI_${e.code}` : 'DOCAI_NO_RESULT', e ? `the batch request failed: ${e.message}` : 'the batch request returned no status for this file');
          }
          if (!r.ok) {
            // INVALID_ARGUMENT: the file itself was refused, as online -> REJECTED with the online reason.
            if (r.code === 3) return handOff(f, answeringEngine(service.engineName, f.sha256, () => Promise.reject(service.refusal(r.message, f.mimeType))), log);
            return failFile(f, `DOCAI_${r.code}`, `Document AI batch processing failed: ${r.message}`.slice(0, 1000));
          }
          // Identical files share one read and one output.
          const read = documents.get(f.sha256) ?? service.read(r.output);
          documents.set(f.sha256, read);
          let doc: OcrDocument;
          try {
            doc = await read;
          } catch (err) {
            // Output that cannot be read or merged after the operation finished will not get better: the file
            // ends FAILED with a dead letter (a replay reads it online) instead of failing the whole job.
            return failFile(f, 'DOCAI_BATCH_OUTPUT', `the batch output could not be read: ${err instanceof Error ? err.message : String(err)}`.slice(0, 1000));
          }
          return handOff(f, answeringEngine(service.engineName, f.sha256, async () => doc), log);
        }),
      );
    }
    await service.cleanup(op.group);
    cp.inFlight = cp.inFlight.filter((o) => o.operation !== op.operation);
    await save();
  };

  /** Polls every operation in flight once; collects the finished ones. Returns how many finished. */
  const pollAll = async (): Promise<number> => {
    let finished = 0;
    for (const op of [...cp.inFlight]) {
      const poll = await service.poll(op.operation);
      if (!poll.done) continue;
      finished += 1;
      // The whole operation refused before reading anything (quota: other batch requests of the project in
      // flight; unavailable): the same group is submitted again, a few times, before its files fail.
      if (poll.error && poll.inputs.length === 0 && RESUBMITTED_CODES.has(poll.error.code) && (op.resubmitted ?? 0) < MAX_RESUBMITS) {
        await submit({ group: op.group, attempt: (op.resubmitted ?? 0) + 2, pages: op.pages, files: op.files, replaces: op.operation, at: clock.now().toISOString() });
        log.warn('document ai batch request refused as a whole: submitted again', { group: op.group, grpcCode: poll.error.code });
        continue;
      }
      await collect(op, poll);
    }
    return finished;
  };
  const drainTo = async (max: number, pagesNeeded: number) => {
    const pagesInFlight = () => cp.inFlight.reduce((s, o) => s + o.pages, 0);
    while (cp.inFlight.length > 0 && (cp.inFlight.length > max || pagesInFlight() + pagesNeeded > service.limits.pagesInFlight)) {
      if ((await pollAll()) === 0) {
        await sleep(pollMs);
        // A poll renews the lease even while nothing finished.
        await save();
      }
    }
  };

  const withinBudget = async (pages: number): Promise<boolean> => {
    if (budget === undefined) return true;
    const used = deps.usage ? await deps.usage.pagesIn(usageMonth(clock.now())) : 0;
    return used + cp.inFlight.reduce((s, o) => s + o.pages, 0) + pages <= budget;
  };

  /**
   * Sends one batch request under `intent`, checkpointed before the request: resumed (`resumed`), a request that
   * Document AI accepted before the run died is found and polled, never sent again. The operation is then
   * checkpointed (in `inFlight`, replacing the refused one for a resubmission) before anything else happens.
   */
  const submit = async (intent: SubmitIntent, resumed = false) => {
    const replaced = intent.replaces === undefined ? undefined : cp.inFlight.find((o) => o.operation === intent.replaces);
    const earlier = replaced ? [...(replaced.earlier ?? []), replaced.operation] : [];
    if (!resumed) {
      cp.submitting = intent;
      await save();
    }
    const exclude = [...earlier, ...cp.inFlight.map((o) => o.operation)];
    const look = () => service.findSubmitted(intent.group, intent.attempt, { since: intent.at, exclude });
    let lookup: FoundSubmission = resumed ? await look() : { state: 'absent' };
    // An operation that shows no document yet may be this request: sending it again could pay twice, so wait
    // until it shows its documents (or ends); each wait renews the lease.
    while (lookup.state === 'unknown') {
      log.info('an operation without documents yet may be this batch request: waiting before deciding', { group: intent.group, attempt: intent.attempt });
      await sleep(pollMs);
      await save();
      lookup = await look();
    }
    const found = lookup.state === 'found' ? lookup.operation : undefined;
    if (found) log.warn('document ai batch request accepted before the run died: polled, not sent again', { group: intent.group, attempt: intent.attempt });
    const files = async () => (replaced || !cp.staging ? service.manifest(intent.group) : cp.staging.files);
    const operation = found ?? (await service.submit(intent.group, await files(), intent.attempt));
    if (replaced) {
      cp.inFlight = cp.inFlight.map((o) => (o === replaced ? { ...o, operation, resubmitted: intent.attempt - 1, earlier } : o));
    } else {
      cp.inFlight.push({ group: intent.group, operation, pages: intent.pages, files: intent.files });
      cp.staging = undefined;
      inc('requests');
    }
    cp.submitting = undefined;
    await save();
  };

  // A run that died while sending a request: accepted or not, the group goes on once.
  if (cp.submitting) await submit(cp.submitting, true);

  let stopped = false;
  /** Submits the staged group (never twice: its intent, then its operation, are checkpointed around the request). */
  const submitStaged = async () => {
    const staging = cp.staging;
    if (!staging || staging.files.length === 0) return;
    const pages = staging.files.reduce((s, f) => s + f.pages, 0);
    await drainTo(params.inFlight - 1, pages);
    if (!(await withinBudget(pages))) {
      // Left for a later run (next month, or a larger budget): they have no record, so a rerun finds them.
      inc('overBudget', staging.files.length);
      inc('staged', -staging.files.length);
      log.warn('document ai page budget reached: the rest of the backlog is left for a later run', { budget, pages });
      await service.cleanup(staging.group);
      cp.staging = undefined;
      stopped = true;
      await save();
      return;
    }
    await submit({ group: staging.group, attempt: 1, pages, files: staging.files.length, at: clock.now().toISOString() });
    log.info('document ai batch request submitted', { group: staging.group, files: staging.files.length, pages });
  };

  // A run that died between staging and submitting submits what it staged (its operation was never recorded).
  await submitStaged();

  if (!cp.listed && !stopped) {
    const objects = (await blobs.list(bucket, prefix))
      .filter((o) => !o.name.endsWith('/') && (cp.afterName === undefined || o.name > cp.afterName))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const max = params.maxFiles;
    for (let i = 0; i < objects.length && !stopped; i += params.chunk) {
      const part = objects.slice(i, i + params.chunk);
      for (const o of part) {
        if (stopped) break;
        if (max !== undefined && (counts.staged ?? 0) + (counts.direct ?? 0) >= max) {
          stopped = true;
          break;
        }
        inc('objects');
        await planObject(o);
        cp.afterName = o.name;
      }
      await save();
    }
    if (!stopped) cp.listed = true;
    await submitStaged();
    stopped = true;

    async function planObject(o: BlobStat): Promise<void> {
      const invoiceId = invoiceIdFor(o.bucket, o.name, o.generation);
      if (await store.get(invoiceId)) {
        inc('skipped');
        return;
      }
      let bytes: Uint8Array;
      try {
        bytes = await blobs.read({ bucket: o.bucket, name: o.name, generation: o.generation });
      } catch {
        // Gone since the listing: the OCR stage records it as the online path does (OBJECT_GONE).
        await handOff(o, { name: service!.engineName, recognize: () => Promise.reject(new Error('not read')) }, log);
        inc('direct');
        return;
      }
      const sha256 = sha256Hex(bytes);
      const direct = async (engine: OcrEngine) => {
        await handOff(o, engine, log);
        inc('direct');
      };
      const refuse = (err: unknown) => answeringEngine(service!.engineName, sha256, () => Promise.reject(err));
      // XML never reaches the engine; a cached OCR document is reused: neither needs Document AI.
      if (detectFileType(bytes) === 'xml' || (config.ocr.cacheByContentHash && (await blobs.stat(ocrArtifactRef({ ...pipeline, ocr: { name: service!.engineName } as OcrEngine }, sha256))))) {
        return direct(refuse(new Error('no Document AI call expected for this file')));
      }
      let screened: { mimeType: string; pages: number };
      try {
        screened = await service!.screen(bytes, limits);
      } catch (err) {
        if (err instanceof PermanentError) return direct(refuse(err));
        throw err;
      }
      const file: BacklogFile = { name: o.name, generation: o.generation, size: o.size, contentType: o.contentType, updatedAt: o.updatedAt, sha256, ...screened };
      if (!cp.staging) cp.staging = { group: groupKey(cp.nextGroup++), files: [] };
      const staging: { group: string; files: BacklogFile[] } = cp.staging;
      const group = { files: staging.files.length, pages: staging.files.reduce((s, f) => s + f.pages, 0) };
      if (closesGroup(group, file, { files: filesPerRequest, pages: pagesPerRequest })) {
        await submitStaged();
        if (stopped) return;
        cp.staging = { group: groupKey(cp.nextGroup++), files: [] };
      }
      // Identical files in one group are one input (across groups each group has its own copy).
      if (cp.staging.files.some((f) => f.sha256 === sha256)) inc('duplicates');
      else await service!.stage(cp.staging.group, sha256, bytes, screened.mimeType);
      cp.staging.files.push(file);
      inc('staged');
    }
  }

  await drainTo(0, 0);
  await save();
  log.info('docai-backlog done', { ...counts });
  return { counts, failed };
}

class BatchInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
