import { PermanentError, RetryableError } from '../errors.js';
import { Topics, type FeaturesComputed } from '../messages.js';
import { decide } from '../scoring/decide.js';
import type { PipelineDeps, StageContext, StageOutcome } from './deps.js';
import { elapsedMs } from './deps.js';
import { featuresFromWire } from './feature-wire.js';
import { runStageOnce } from './run-stage.js';
import { calibratedByModel, predictionEntryOf } from '../learning/prediction-log.js';

/**
 * Stage 3, on `features-computed`: score with the production models (when any are installed), decide
 * APPROVE / REVIEW / REJECT with reasons, move the invoice to SCORED and publish `invoice-scored`.
 *
 * Idempotent per `invoiceId:modelVersions`: a new model version may re-score, a redelivery may not.
 */
export async function runInferenceStage(deps: PipelineDeps, msg: FeaturesComputed, ctx: StageContext): Promise<StageOutcome> {
  const { store } = deps;
  const invoiceId = msg.invoiceId;
  const log = ctx.log.child({ invoiceId, stage: 'inference' });
  const models = await deps.models.loadProduction();
  const versionsKey = models
    ? Object.entries(models.versions).sort(([a], [b]) => a.localeCompare(b)).map(([n, v]) => `${n}@${v}`).join(',')
    : 'rules';
  if (models && models.featureSchemaVersion !== msg.featureSchemaVersion) {
    throw new PermanentError(
      'FEATURE_SCHEMA_MISMATCH',
      `models expect features ${models.featureSchemaVersion}, message has ${msg.featureSchemaVersion}`,
    );
  }
  return runStageOnce(deps, `inference:${invoiceId}:${versionsKey}`, invoiceId, log, async () => {
    const start = performance.now();
    const record = await store.get(invoiceId);
    if (!record) throw new RetryableError('RECORD_NOT_FOUND', `no record for ${invoiceId} yet`);
    if (record.status === 'REJECTED') return { invoiceId };
    const features = featuresFromWire(msg.features);
    const scores = models ? await models.score(features) : null;
    const decision = decide({
      validations: record.validations ?? [],
      features,
      scores,
      thresholds: deps.thresholds,
      modelVersions: models?.versions ?? {},
    });
    await store.transition(invoiceId, 'SCORED', {
      decision,
      timings: { ...record.timings, inference: elapsedMs(start) },
    });
    // Learning loop: log what was scored, by which versions, with what outcome (before announcing it).
    if (deps.predictions) {
      await deps.predictions.record(predictionEntryOf({
        invoiceId, revision: msg.revision, featureSchemaVersion: msg.featureSchemaVersion, features: msg.features,
        calibrated: calibratedByModel(decision.scores), raw: scores?.raw ?? {}, modelVersions: decision.modelVersions,
        decision: decision.decision, basis: decision.basis, language: record.invoice?.extraction.language,
        objectName: record.source.name, scoredAt: deps.clock.now(),
      }));
    }
    await deps.bus.publish(
      Topics.invoiceScored,
      {
        schemaVersion: 1,
        invoiceId,
        revision: msg.revision,
        traceparent: ctx.traceparent,
        featureSchemaVersion: msg.featureSchemaVersion,
        decision: decision.decision,
        modelVersions: decision.modelVersions,
      },
      { orderingKey: invoiceId },
    );
    log.info('invoice scored', {
      decision: decision.decision,
      reasons: decision.reasons.map((r) => r.code),
      modelVersions: versionsKey,
      ms: elapsedMs(start),
    });
    return { invoiceId };
  });
}
