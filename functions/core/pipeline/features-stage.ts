import { PermanentError, RetryableError } from '../errors.js';
import { extractInvoice } from '../extraction/extract-invoice.js';
import { computeFeatures, FEATURE_SCHEMA_VERSION } from '../features/schema.js';
import { businessKey, nearDuplicateWindow, supplierKey } from '../invoice/keys.js';
import { assertLooksLikeInvoice } from '../invoice/plausibility.js';
import { Topics, type OcrCompleted } from '../messages.js';
import { OcrDocumentSchema } from '../ocr-document.js';
import type { InvoiceSummary } from '../ports.js';
import { validateInvoice } from '../validation/index.js';
import type { PipelineDeps, StageContext, StageOutcome } from './deps.js';
import { elapsedMs } from './deps.js';
import { featuresToWire } from './feature-wire.js';
import { runStageOnce } from './run-stage.js';

/**
 * Stage 2, on `ocr-completed`: extract the invoice fields (e-invoice XML first when enabled), look up
 * duplicates and supplier history, validate, compute the versioned feature vector, move the invoice to
 * FEATURES_DONE and publish `features-computed`.
 *
 * Idempotent per `invoiceId:featureSchemaVersion`. A hostile or unsupported e-invoice ends REJECTED.
 */
export async function runFeaturesStage(deps: PipelineDeps, msg: OcrCompleted, ctx: StageContext): Promise<StageOutcome> {
  const { store, clock, config } = deps;
  const invoiceId = msg.invoiceId;
  const log = ctx.log.child({ invoiceId, stage: 'features' });
  return runStageOnce(deps, `features:${invoiceId}:${FEATURE_SCHEMA_VERSION}`, invoiceId, log, async () => {
    const start = performance.now();
    const record = await store.get(invoiceId);
    // The record is written before `ocr-completed` is published: a missing one is a replication race.
    if (!record) throw new RetryableError('RECORD_NOT_FOUND', `no record for ${invoiceId} yet`);
    if (record.status === 'REJECTED') return { invoiceId, skipped: true };

    const doc = OcrDocumentSchema.parse(JSON.parse(new TextDecoder().decode(await deps.blobs.read(msg.ocr))));
    const now = clock.now();
    if (!config.einvoice && doc.pages.length === 0) {
      throw new PermanentError('EINVOICE_DISABLED', 'a standalone XML invoice needs the e-invoice path, which is off');
    }
    const invoice = extractInvoice(doc, { einvoice: config.einvoice, referenceDate: now });
    assertLooksLikeInvoice(invoice, doc);
    const sKey = supplierKey(invoice);
    const bKey = businessKey(invoice);
    const self: InvoiceSummary = { invoiceId, fileName: record.fileName, status: record.status, createdAt: record.createdAt };

    const byContentHash = await store.findByContentHash(msg.contentSha256, self);
    const byBusinessKey = bKey ? await store.findByBusinessKey(bKey, self) : [];
    const window = sKey ? nearDuplicateWindow(invoice) : undefined;
    const nearDuplicates =
      sKey && window
        ? (await store.findNearDuplicates(
            { supplierKey: sKey, currency: invoice.fields.currency?.value, ...window, excludeInvoiceId: invoiceId },
            self,
          )).filter((d) => !byContentHash.some((c) => c.invoiceId === d.invoiceId) && !byBusinessKey.some((c) => c.invoiceId === d.invoiceId))
        : [];
    const history = await store.supplierHistory(sKey ?? '', self, invoice.fields.supplier_iban?.value);

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
      fileSizeBytes: record.sizeBytes ?? 0,
      now,
    });
    const wire = featuresToWire(features);
    await store.transition(invoiceId, 'FEATURES_DONE', {
      invoice,
      validations,
      features: wire,
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
      supplierKey: sKey,
      businessKey: bKey,
      timings: { ...record.timings, features: elapsedMs(start) },
    });
    await deps.bus.publish(
      Topics.featuresComputed,
      { schemaVersion: 1, invoiceId, revision: msg.revision, traceparent: ctx.traceparent, featureSchemaVersion: FEATURE_SCHEMA_VERSION, features: wire },
      { orderingKey: invoiceId },
    );
    log.info('features computed', {
      method: invoice.extraction.method,
      failedChecks: validations.filter((v) => !v.passed).length,
      duplicates: byContentHash.length + byBusinessKey.length + nearDuplicates.length,
      ms: elapsedMs(start),
    });
    return { invoiceId, skipped: false };
  });
}
