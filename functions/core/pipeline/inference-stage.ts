import { PermanentError, RetryableError } from '../errors.js';
import type { InvoiceRecord } from '../invoice/record.js';
import { Topics, type FeaturesComputed, type InvoiceScored } from '../messages.js';
import { decide } from '../scoring/decide.js';
import { inAuditSample } from '../api/audit-sample.js';
import type { ModelScores } from '../ports.js';
import type { PipelineDeps, StageContext, StageOutcome } from './deps.js';
import { elapsedMs } from './deps.js';
import { featuresFromWire } from './feature-wire.js';
import { runStageOnce } from './run-stage.js';
import { calibratedByModel, predictionEntryOf } from '../learning/prediction-log.js';

/** `invoice-scored` of a SCORED record, rebuilt from the record alone. */
export function invoiceScoredOf(record: InvoiceRecord, traceparent?: string): InvoiceScored {
  return {
    schemaVersion: 1,
    invoiceId: record.invoiceId,
    revision: record.revision,
    traceparent,
    featureSchemaVersion: record.featureSchemaVersion ?? '',
    decision: record.decision?.decision ?? 'REVIEW',
    modelVersions: record.decision?.modelVersions ?? {},
  };
}

/** What the inference stage decided for one invoice: the decision record and the models' raw scores. */
export interface DecidedInvoice {
  decision: NonNullable<InvoiceRecord['decision']>;
  scores: ModelScores | null;
}

/**
 * The inference stage's work on one invoice, without the record write: score `features` with the production
 * models (when any are installed) and decide APPROVE / REVIEW / REJECT with reasons from them and the record's
 * validations. Throws a PermanentError when the models expect another feature schema. Shared by the stage and
 * by a batch job that runs the stages itself.
 */
export async function decideInvoice(
  deps: PipelineDeps,
  record: Pick<InvoiceRecord, 'invoiceId' | 'validations'>,
  computed: Pick<FeaturesComputed, 'featureSchemaVersion' | 'features'>,
): Promise<DecidedInvoice> {
  const models = await deps.models.loadProduction();
  if (models && models.featureSchemaVersion !== computed.featureSchemaVersion) {
    throw new PermanentError(
      'FEATURE_SCHEMA_MISMATCH',
      `models expect features ${models.featureSchemaVersion}, message has ${computed.featureSchemaVersion}`,
    );
  }
  const features = featuresFromWire(computed.features);
  const scores = models ? await models.score(features) : null;
  const decided = decide({
    validations: record.validations ?? [],
    features,
    scores,
    thresholds: deps.thresholds,
    modelVersions: models?.versions ?? {},
  });
  // Decided here, once, from the invoice id: a redelivery draws the same, and the review queue reads an index.
  return { decision: { ...decided, auditSample: decided.decision === 'APPROVE' && inAuditSample(record.invoiceId, deps.config.auditSampleRate) }, scores };
}

/**
 * Learning loop: logs what was scored, by which versions, with what outcome (before it is announced). An entry
 * is keyed by invoice, revision and versions, so a rerun after a crash writes the same entry again.
 */
export async function logPrediction(deps: PipelineDeps, scored: InvoiceRecord, scores: ModelScores | null): Promise<void> {
  const decision = scored.decision;
  if (!deps.predictions || !decision) return;
  await deps.predictions.record(predictionEntryOf({
    invoiceId: scored.invoiceId, revision: scored.revision, featureSchemaVersion: scored.featureSchemaVersion ?? '', features: scored.features ?? {},
    calibrated: calibratedByModel(decision.scores), raw: scores?.raw ?? {}, modelVersions: decision.modelVersions,
    decision: decision.decision, basis: decision.basis, language: scored.invoice?.extraction.language,
    objectName: scored.source.name, scoredAt: deps.clock.now(),
  }));
}

/**
 * Stage 3, on `features-computed`: score with the production models (when any are installed), decide
 * APPROVE / REVIEW / REJECT with reasons, move the invoice to SCORED and publish `invoice-scored`.
 *
 * Idempotent per `invoiceId:revision`: a redelivery never re-scores a SCORED invoice, whatever models the
 * instance that receives it has loaded (a run that stopped after SCORED publishes the stored decision again);
 * a message of an earlier revision is acked and ignored. Scoring with a newer model is a new revision
 * (InvoiceStore.startRevisions), never a rewrite.
 */
export async function runInferenceStage(deps: PipelineDeps, msg: FeaturesComputed, ctx: StageContext): Promise<StageOutcome> {
  const { store } = deps;
  const invoiceId = msg.invoiceId;
  const log = ctx.log.child({ invoiceId, stage: 'inference', revision: msg.revision });
  const record = await store.get(invoiceId);
  if (!record || record.revision < msg.revision) throw new RetryableError('RECORD_NOT_FOUND', `no record for ${invoiceId} at revision ${msg.revision} yet`);
  if (record.revision > msg.revision) return { outcome: 'ignored', reason: `message of revision ${msg.revision}, record at ${record.revision}` };
  if (record.status === 'REJECTED') return { outcome: 'duplicate', invoiceId };

  return runStageOnce(deps, `inference:${invoiceId}:r${msg.revision}`, record, log, async () => {
    const current = (await store.get(invoiceId)) ?? record;
    if (current.revision !== msg.revision || current.status === 'REJECTED') return { invoiceId };
    if (current.status === 'SCORED') {
      await deps.bus.publish(Topics.invoiceScored, invoiceScoredOf(current, ctx.traceparent), { orderingKey: invoiceId });
      log.info('invoice-scored published again from the record');
      return { invoiceId };
    }
    const start = performance.now();
    const { decision, scores } = await decideInvoice(deps, current, msg);
    const { record: done } = await store.transition(
      invoiceId,
      'SCORED',
      { decision, timings: { ...current.timings, inference: elapsedMs(start) } },
      { revision: msg.revision },
    );
    if (done.status !== 'SCORED' || done.revision !== msg.revision) {
      log.info('decision not recorded: the invoice moved on meanwhile', { status: done.status, recordRevision: done.revision });
      return { invoiceId };
    }
    await logPrediction(deps, done, scores);
    await deps.bus.publish(Topics.invoiceScored, invoiceScoredOf(done, ctx.traceparent), { orderingKey: invoiceId });
    log.info('invoice scored', {
      decision: decision.decision,
      reasons: decision.reasons.map((r) => r.code),
      modelVersions: Object.entries(decision.modelVersions).map(([n, v]) => `${n}@${v}`).join(',') || 'rules',
      ms: elapsedMs(start),
    });
    return { invoiceId };
  });
}
