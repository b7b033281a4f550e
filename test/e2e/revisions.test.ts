/**
 * A decision is never rewritten behind anyone's back: a redelivery handled after a promotion does not re-score a
 * SCORED invoice, and re-running an invoice on purpose is a new revision whose predecessor stays in the history.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topics, type FeaturesComputed, type Topic } from '../../functions/core/messages.js';
import type { ModelRegistry, ScoringModels } from '../../functions/core/ports.js';
import { FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { featuresComputedOf } from '../../functions/core/pipeline/features-stage.js';
import { startRevision } from '../../functions/core/pipeline/revise.js';
import { generateCorpus } from '../../functions/generator/index.js';
import type { LocalRuntime } from '../../functions/platform/local-runtime.js';
import { processFiles, tempDir, testRuntime } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

/** A registry whose production version is whatever `current.version` says when asked: a promotion is a reassignment. */
function switchableModels(current: { version: string; quality: number }): ModelRegistry {
  return {
    async loadProduction(): Promise<ScoringModels> {
      const { version, quality } = current;
      return {
        versions: { quality: version, failure: version, anomaly: version },
        featureSchemaVersion: FEATURE_SCHEMA_VERSION,
        score: async () => ({ quality, failureRisk: 0.01, anomaly: 0.01, explanations: {} }),
      };
    },
  };
}

function record(runtime: LocalRuntime): Array<{ topic: Topic; message: unknown }> {
  const seen: Array<{ topic: Topic; message: unknown }> = [];
  const original = runtime.bus.publish.bind(runtime.bus);
  runtime.bus.publish = (async (topic: Topic, message: never, options?: never) => {
    seen.push({ topic, message });
    return original(topic, message, options);
  }) as typeof runtime.bus.publish;
  return seen;
}

describe('revisions and stale redeliveries', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let dir: string;
  let names: string[];

  beforeAll(async () => {
    const files = await tempDir('revisions');
    cleanup.push(files.dispose);
    dir = files.dir;
    await generateCorpus({
      outDir: dir, count: 2, seed: 4,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    names = (await readdir(dir)).filter((n) => n.endsWith('.pdf')).sort();
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('does not re-score a SCORED invoice when features-computed is redelivered after a promotion', async () => {
    const production = { version: 'v1', quality: 0.99 };
    const { runtime, dispose } = await testRuntime({ models: switchableModels(production) });
    cleanup.push(dispose);
    const results = await processFiles(runtime, dir, names.slice(0, 1));
    const { invoiceId } = [...results.values()][0]!;
    const before = (await runtime.store.get(invoiceId))!;
    expect(before.decision?.modelVersions.quality).toBe('v1');

    production.version = 'v2';
    production.quality = 0.01; // the new model would decide differently
    const seen = record(runtime);
    const redelivery: FeaturesComputed = featuresComputedOf(before);
    await runtime.bus.publish(Topics.featuresComputed, redelivery);
    await runtime.drain();
    const after = (await runtime.store.get(invoiceId))!;
    expect(after.decision).toEqual(before.decision);
    expect(after.updatedAt).toBe(before.updatedAt);
    expect(seen.filter((s) => s.topic === Topics.invoiceScored)).toEqual([]);
  });

  it('re-scores on purpose as revision 2, keeps revision 1 in the history, and ignores late messages of revision 1', async () => {
    const production = { version: 'v1', quality: 0.99 };
    const { runtime, dispose } = await testRuntime({ models: switchableModels(production) });
    cleanup.push(dispose);
    const results = await processFiles(runtime, dir, names.slice(1, 2));
    const { invoiceId } = [...results.values()][0]!;
    const first = (await runtime.store.get(invoiceId))!;

    production.version = 'v2';
    const seen = record(runtime);
    const started = await startRevision(runtime.deps, invoiceId, { from: 'FEATURES_DONE', reason: 'backfill: models v2' });
    expect(started).toEqual({ started: true, invoiceId, revision: 2 });
    // Called again for the state it saw (a rerun of the job): nothing happens.
    expect(await startRevision(runtime.deps, invoiceId, { from: 'FEATURES_DONE', reason: 'again', expectedRevision: 1 })).toMatchObject({ started: false });
    await runtime.drain();

    const second = (await runtime.store.get(invoiceId))!;
    expect(second).toMatchObject({ revision: 2, status: 'SCORED' });
    expect(second.decision?.modelVersions.quality).toBe('v2');
    const scored = seen.filter((s) => s.topic === Topics.invoiceScored).map((s) => s.message as { revision: number });
    expect(scored).toEqual([expect.objectContaining({ invoiceId, revision: 2 })]);
    const history = await runtime.store.history(invoiceId);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ revision: 1, status: 'SCORED', reason: 'backfill: models v2' });
    expect(history[0]!.decision).toEqual(first.decision);

    // A late redelivery of revision 1's message is acked and changes nothing.
    await runtime.bus.publish(Topics.featuresComputed, featuresComputedOf(first));
    await runtime.drain();
    expect((await runtime.store.get(invoiceId))!.decision).toEqual(second.decision);

    // Reprocessing from the OCR document (an extraction change) is revision 3: no second OCR.
    const ocrBefore = runtime.bus.stats();
    expect(await startRevision(runtime.deps, invoiceId, { from: 'OCR_DONE', reason: 'reprocess: extraction change' })).toMatchObject({ started: true, revision: 3 });
    await runtime.drain();
    const third = (await runtime.store.get(invoiceId))!;
    expect(third).toMatchObject({ revision: 3, status: 'SCORED' });
    expect(third.invoice?.fields.invoice_id?.value).toBe(first.invoice?.fields.invoice_id?.value);
    expect(seen.filter((s) => s.topic === Topics.objectFinalized)).toEqual([]);
    expect(runtime.bus.stats().published - ocrBefore.published).toBe(3); // ocr-completed, features-computed, invoice-scored
    expect((await runtime.store.history(invoiceId)).map((h) => h.revision)).toEqual([1, 2]);
    // Not a duplicate of itself: the duplicate keys are its own.
    expect(third.decision?.reasons.some((r) => r.code.startsWith('DUP_'))).toBe(false);
  });

  it('does not re-score features of an earlier schema; re-running from the OCR document computes the current ones', async () => {
    const production = { version: 'v1', quality: 0.99 };
    const { runtime, dispose } = await testRuntime({ models: switchableModels(production) });
    cleanup.push(dispose);
    const results = await processFiles(runtime, dir, names.slice(0, 1));
    const scored = (await runtime.store.get([...results.values()][0]!.invoiceId))!;
    // The same invoice as stored before the feature schema changed (v1 vectors in the record).
    const old = { ...scored, invoiceId: `${scored.invoiceId}-old`, contentSha256: 'f'.repeat(64), featureSchemaVersion: 'inv-features-v1' };
    await runtime.store.createIfAbsent(old);
    const refused = await startRevision(runtime.deps, old.invoiceId, { from: 'FEATURES_DONE', reason: 'backfill: models v2' });
    expect(refused).toMatchObject({ started: false, reason: expect.stringContaining('start from OCR_DONE') });
    expect((await runtime.store.get(old.invoiceId))!.revision).toBe(old.revision);
    expect(await startRevision(runtime.deps, old.invoiceId, { from: 'OCR_DONE', reason: 'reprocess: feature schema' })).toMatchObject({ started: true, revision: old.revision + 1 });
    await runtime.drain();
    expect(await runtime.store.get(old.invoiceId)).toMatchObject({ revision: old.revision + 1, featureSchemaVersion: FEATURE_SCHEMA_VERSION });
  });
});
