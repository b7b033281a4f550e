/**
 * Trained models into the registry, through the promotion gate: each version's files are stored (immutable),
 * then the version is registered in staging with its lineage, then - when promotion is asked for - the
 * champion is scored on the same held-out rows as the challenger, the gate decides, and a passing challenger
 * is promoted or waits for approval (config). Every step is idempotent, so a resumed run repeats it safely.
 * `ledgerx train --promote` and the retraining job both come through here.
 */
import { calibrateAll, matrixFeatures } from '../core/training/calibration.js';
import { FEATURE_NAMES } from '../core/features/schema.js';
import type { LearningConfig } from '../core/learning/config.js';
import { evaluateGate, type GateResult, type SliceFamily } from '../core/learning/gate.js';
import type { ModelArtifactStore, ModelRegistryStore } from '../core/learning/model-registry.js';
import { versionFromMetadata } from '../core/learning/seed.js';
import type { Logger } from '../core/ports.js';
import type { Matrix } from '../core/training/matrix.js';
import { loadModelVersion } from '../adapters/onnx/file-model-registry.js';
import type { DatasetRow } from './dataset-rows.js';
import type { TrainedModel, TrainResult } from './train.js';

export type PromotionOutcome = 'promoted' | 'pending-approval' | 'blocked' | 'staging' | 'already-production';

export interface ModelOutcome {
  name: string;
  version: string;
  outcome: PromotionOutcome;
  written: boolean;
  gate: GateResult | null;
  champion: string | null;
  requestId?: string;
}

export interface RegisterOptions {
  result: TrainResult;
  registry: ModelRegistryStore;
  artifacts: ModelArtifactStore;
  config: Pick<LearningConfig, 'gate' | 'promotion'>;
  /** Gate and promote (else: register in staging only). */
  promote: boolean;
  actor: string;
  runId: string;
  codeRevision: string | null;
  snapshot: { sha256: string; rows: number; uri?: string };
  now: () => Date;
  logger: Logger;
}

/** The guarded slice of each held-out row. */
export function sliceKeys(rows: readonly DatasetRow[]): Record<SliceFamily, string[]> {
  return {
    language: rows.map((r) => r.language),
    scan: rows.map((r) => (r.scanQuality === 'digital' ? 'digital' : 'scan')),
    einvoice: rows.map((r) => (r.kind.startsWith('einvoice') ? 'einvoice' : 'document')),
    captureSource: rows.map((r) => r.captureSource ?? 'generated'),
  };
}

/**
 * The champion's calibrated scores on the challenger's held-out rows, or null when it cannot score them
 * (another feature order): then there is nothing to compare and the gate treats it as having no champion only
 * if the policy allows; here it blocks (reported as CHAMPION_INCOMPARABLE).
 */
async function championScores(artifacts: ModelArtifactStore, name: string, version: string, test: Matrix): Promise<{ scores: Float64Array; featureSchemaVersion: string } | null> {
  const loaded = await loadModelVersion(await artifacts.materialize(name, version));
  try {
    if (loaded.metadata.featureNames.join() !== FEATURE_NAMES.join()) return null;
    const raw = await loaded.predictor.predict(test);
    return { scores: calibrateAll(loaded.metadata.calibration, raw, matrixFeatures(test, loaded.metadata.featureNames)), featureSchemaVersion: loaded.metadata.featureSchemaVersion };
  } finally {
    await loaded.predictor.close();
  }
}

/** Stores, registers and (when asked) gates and promotes every trained model. */
export async function registerAndGate(options: RegisterOptions): Promise<ModelOutcome[]> {
  const { result, registry, artifacts, config, logger: log } = options;
  const outcomes: ModelOutcome[] = [];
  const slices = sliceKeys(result.testRows);
  for (const m of result.models) {
    if (m.metadata.version !== m.version || m.metadata.name !== m.name) throw new Error(`metadata of ${m.name}@${m.version} names another version`);
    const { written } = await artifacts.put(m.name, m.version, m.files);
    await registry.register(versionFromMetadata(m.metadata, options.runId, options.codeRevision, options.snapshot.uri), {
      actor: options.actor, reason: `trained by run ${options.runId}`, at: options.now(),
      evidence: { runId: options.runId, snapshot: options.snapshot.sha256, test: m.test },
    });
    outcomes.push({ name: m.name, version: m.version, outcome: 'staging', written, gate: null, champion: null });
  }
  if (!options.promote) return outcomes;

  for (const out of outcomes) {
    const m = result.models.find((x) => x.name === out.name) as TrainedModel;
    const champion = (await registry.pointer(m.name)).production;
    out.champion = champion;
    if (champion === m.version) {
      out.outcome = 'already-production';
      continue;
    }
    const scored = champion ? await championScores(artifacts, m.name, champion, result.testMatrix) : null;
    const championP = scored?.scores ?? null;
    const compared = evaluateGate({ y: m.testLabels, challenger: m.testScores, champion: championP, slices }, config.gate);
    // A champion of another feature schema cannot stay in production: this code refuses to serve it (decisions
    // fall back to rules), so the challenger replaces it unless it has no signal; the comparison on the same rows
    // is kept as evidence (metric, delta, slice verdicts) and its failed checks are reported, not enforced.
    const otherSchema = scored !== null && scored.featureSchemaVersion !== m.metadata.featureSchemaVersion;
    const gate = champion && !championP
      ? { ...evaluateGate({ y: m.testLabels, challenger: m.testScores, champion: null, slices }, config.gate), pass: false, reasons: ['CHAMPION_INCOMPARABLE'] }
      : otherSchema && !compared.reasons.includes('NO_SIGNAL')
        ? { ...compared, pass: true, reasons: [`CHAMPION_OTHER_SCHEMA:${scored.featureSchemaVersion}`, ...compared.reasons.filter((r) => r !== 'BEATS_CHAMPION' && r !== 'BETTER_CALIBRATED').map((r) => `REPORTED:${r}`)] }
        : compared;
    out.gate = gate;
    const evidence = {
      runId: options.runId, snapshot: options.snapshot.sha256, champion, metric: gate.metric, championMetric: gate.champion,
      challengerMetric: gate.challenger, delta: gate.delta, margin: gate.margin, logLoss: gate.logLoss, reasons: gate.reasons,
      slices: gate.slices.filter((s) => s.verdict !== 'not-judged').map((s) => ({ slice: `${s.family}=${s.value}`, rows: s.rows, delta: s.delta, verdict: s.verdict })),
      heldOutRows: result.testRows.length,
    };
    await registry.note({
      name: m.name, version: m.version, at: options.now(), actor: options.actor, action: 'gate', fromStage: 'staging', toStage: 'staging',
      reason: gate.pass ? `passed the gate against ${champion ?? 'no champion'}` : `blocked by the gate: ${gate.reasons.join(', ')}`, evidence,
    });
    log.info('promotion gate', { model: m.name, version: m.version, champion, pass: gate.pass, reasons: gate.reasons, delta: gate.delta });
    if (!gate.pass) {
      out.outcome = 'blocked';
      continue;
    }
    const ctx = { actor: options.actor, reason: `gate passed (${gate.reasons.join(', ')}), run ${options.runId}`, evidence, at: options.now() };
    if (config.promotion.mode === 'approval') {
      const request = await registry.requestPromotion(m.name, m.version, ctx);
      out.outcome = 'pending-approval';
      out.requestId = request.id;
    } else {
      await registry.promote(m.name, m.version, ctx);
      out.outcome = 'promoted';
    }
  }
  return outcomes;
}
