import { PermanentError, RetryableError } from '../errors.js';
import { extractInvoice } from '../extraction/extract-invoice.js';
import { computeFeatures, FEATURE_SCHEMA_VERSION } from '../features/schema.js';
import { businessKey, nearDuplicateWindow, supplierKey } from '../invoice/keys.js';
import { assertLooksLikeInvoice } from '../invoice/plausibility.js';
import type { Invoice } from '../invoice/invoice.js';
import type { InvoiceRecord } from '../invoice/record.js';
import { summarizeRecord } from '../invoice/summary.js';
import { Topics, type FeaturesComputed, type OcrCompleted } from '../messages.js';
import { parseOcrDocument, type OcrDocument } from '../ocr-document.js';
import type { DuplicateKeyKind, InvoiceStore, InvoiceSummary } from '../ports.js';
import { validateInvoice } from '../validation/index.js';
import type { PipelineDeps, StageContext, StageOutcome } from './deps.js';
import { elapsedMs } from './deps.js';
import { featuresToWire } from './feature-wire.js';
import { runStageOnce } from './run-stage.js';

/** `features-computed` of a record that reached FEATURES_DONE, rebuilt from the record alone. */
export function featuresComputedOf(record: InvoiceRecord, traceparent?: string): FeaturesComputed {
  return {
    schemaVersion: 1,
    invoiceId: record.invoiceId,
    revision: record.revision,
    traceparent,
    featureSchemaVersion: record.featureSchemaVersion ?? FEATURE_SCHEMA_VERSION,
    features: record.features ?? {},
  };
}

/**
 * The invoice that holds a duplicate key, as a duplicate candidate of `self`: none when `self` holds it. A holder
 * that never became a payable invoice (REJECTED, FAILED) is replaced by `self`, atomically, so that exactly one
 * re-upload becomes the new original.
 */
async function duplicateOf(store: InvoiceStore, kind: DuplicateKeyKind, key: string, self: InvoiceRecord): Promise<InvoiceSummary[]> {
  const claimant = { invoiceId: self.invoiceId, createdAt: self.createdAt };
  let holder = await store.reserveDuplicateKey(kind, key, claimant);
  for (let i = 0; i < 3 && holder.invoiceId !== self.invoiceId; i++) {
    const held = await store.get(holder.invoiceId);
    if (held && held.status !== 'REJECTED' && held.status !== 'FAILED') return [summarizeRecord(held)];
    holder = await store.reserveDuplicateKey(kind, key, claimant, { replacing: holder.invoiceId });
  }
  if (holder.invoiceId === self.invoiceId) return [];
  // The key keeps changing hands between failing holders: treat it as a duplicate and let a reviewer decide.
  return [{ invoiceId: holder.invoiceId, fileName: '', status: 'RECEIVED', createdAt: holder.createdAt }];
}

/** The stored OCR document an `ocr-completed` (or a record's `ocrUri`) points to, validated. */
export async function readOcrDocument(deps: Pick<PipelineDeps, 'blobs'>, ref: { bucket: string; name: string }): Promise<OcrDocument> {
  return parseOcrDocument(new TextDecoder().decode(await deps.blobs.read(ref)));
}

/** What the features stage adds to a record, and the facts its log line reports (never invoice contents). */
export interface ComputedFeatures {
  patch: Required<Pick<InvoiceRecord, 'invoice' | 'validations' | 'features' | 'featureSchemaVersion'>> & Pick<InvoiceRecord, 'supplierKey' | 'businessKey'>;
  summary: { method: string; failedChecks: number; duplicates: number };
}

/**
 * The features stage's work on one record at its current revision, without the record write: extract the
 * invoice fields (e-invoice XML first when enabled), reserve its duplicate keys, read the supplier history,
 * validate and compute the versioned feature vector. Throws a PermanentError for a document that is not an
 * invoice (or an XML invoice while the e-invoice path is off). Shared by the stage and by a batch job that runs
 * the stages itself (inline-stages.ts), which may pass the invoice `extracted` from `doc` elsewhere (a worker thread).
 */
export async function computeInvoiceFeatures(
  deps: PipelineDeps, current: InvoiceRecord, doc: OcrDocument, contentSha256: string, extracted?: Invoice,
): Promise<ComputedFeatures> {
  const { store, clock, config } = deps;
  const invoiceId = current.invoiceId;
  const now = clock.now();
  if (!config.einvoice && doc.pages.length === 0) {
    throw new PermanentError('EINVOICE_DISABLED', 'a standalone XML invoice needs the e-invoice path, which is off');
  }
  const invoice = extracted ?? extractInvoice(doc, { einvoice: config.einvoice, referenceDate: now });
  assertLooksLikeInvoice(invoice, doc);
  const sKey = supplierKey(invoice);
  const bKey = businessKey(invoice);
  const self: InvoiceSummary = { invoiceId, fileName: current.fileName, status: current.status, createdAt: current.createdAt };

  // Reserved, never looked up: two copies processed at the same time cannot both be the original.
  const byContentHash = await duplicateOf(store, 'content', contentSha256, current);
  const byBusinessKey = bKey ? await duplicateOf(store, 'business', bKey, current) : [];
  // A new revision that reads another invoice number frees the key the earlier revision held.
  if (current.businessKey && current.businessKey !== bKey) await store.releaseDuplicateKey('business', current.businessKey, invoiceId);
  const window = sKey ? nearDuplicateWindow(invoice) : undefined;
  const nearDuplicates =
    sKey && window
      ? (await store.findNearDuplicates(
          { supplierKey: sKey, currency: invoice.fields.currency?.value, ...window, excludeInvoiceId: invoiceId },
          self,
        )).filter((d) => !byContentHash.some((c) => c.invoiceId === d.invoiceId) && !byBusinessKey.some((c) => c.invoiceId === d.invoiceId))
      : [];
  const history = await store.supplierHistory(sKey ?? '', invoice.fields.supplier_iban?.value);

  const validations = validateInvoice(invoice, {
    now,
    duplicates: { byContentHash, byBusinessKey, nearDuplicates },
    config: deps.validation,
  });
  const features = computeFeatures({
    doc,
    invoice,
    validations,
    history,
    duplicates: { contentHash: byContentHash.length, businessKey: byBusinessKey.length, near: nearDuplicates.length },
    fileSizeBytes: current.sizeBytes ?? 0,
    now,
  });
  return {
    patch: { invoice, validations, features: featuresToWire(features), featureSchemaVersion: FEATURE_SCHEMA_VERSION, supplierKey: sKey, businessKey: bKey },
    summary: {
      method: invoice.extraction.method,
      failedChecks: validations.filter((v) => !v.passed).length,
      duplicates: byContentHash.length + byBusinessKey.length + nearDuplicates.length,
    },
  };
}

/**
 * Stage 2, on `ocr-completed`: extract the invoice fields (e-invoice XML first when enabled), reserve its
 * duplicate keys, read the supplier history, validate, compute the versioned feature vector, move the invoice to
 * FEATURES_DONE and publish `features-computed`.
 *
 * Idempotent per `invoiceId:revision:featureSchemaVersion`. A message of an earlier revision is acked and
 * ignored; a run that stopped after FEATURES_DONE publishes again from the record. A hostile or unsupported
 * e-invoice, or a document that is not an invoice, ends REJECTED.
 */
export async function runFeaturesStage(deps: PipelineDeps, msg: OcrCompleted, ctx: StageContext): Promise<StageOutcome> {
  const { store } = deps;
  const invoiceId = msg.invoiceId;
  const log = ctx.log.child({ invoiceId, stage: 'features', revision: msg.revision });
  const record = await store.get(invoiceId);
  // The record is written before `ocr-completed` is published: a missing one is a replication race.
  if (!record || record.revision < msg.revision) throw new RetryableError('RECORD_NOT_FOUND', `no record for ${invoiceId} at revision ${msg.revision} yet`);
  if (record.revision > msg.revision) return { outcome: 'ignored', reason: `message of revision ${msg.revision}, record at ${record.revision}` };
  if (record.status === 'SCORED' || record.status === 'REJECTED') return { outcome: 'duplicate', invoiceId };

  return runStageOnce(deps, `features:${invoiceId}:r${msg.revision}:${FEATURE_SCHEMA_VERSION}`, record, log, async () => {
    const current = (await store.get(invoiceId)) ?? record;
    if (current.revision !== msg.revision || current.status === 'SCORED' || current.status === 'REJECTED') return { invoiceId, skipped: true };
    if (current.status === 'FEATURES_DONE') {
      await deps.bus.publish(Topics.featuresComputed, featuresComputedOf(current, ctx.traceparent), { orderingKey: invoiceId });
      log.info('features-computed published again from the record');
      return { invoiceId, skipped: false };
    }
    const start = performance.now();
    const doc = await readOcrDocument(deps, msg.ocr);
    const computed = await computeInvoiceFeatures(deps, current, doc, msg.contentSha256);
    const { record: done } = await store.transition(
      invoiceId,
      'FEATURES_DONE',
      { ...computed.patch, timings: { ...current.timings, features: elapsedMs(start) } },
      { revision: msg.revision },
    );
    if (done.status !== 'FEATURES_DONE' || done.revision !== msg.revision) {
      log.info('features not recorded: the invoice moved on meanwhile', { status: done.status, recordRevision: done.revision });
      return { invoiceId, skipped: true };
    }
    await deps.bus.publish(Topics.featuresComputed, featuresComputedOf(done, ctx.traceparent), { orderingKey: invoiceId });
    log.info('features computed', { ...computed.summary, ms: elapsedMs(start) });
    return { invoiceId, skipped: false };
  });
}
