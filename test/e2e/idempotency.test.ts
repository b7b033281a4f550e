import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../functions/generator/index.js';
import type { Topic } from '../../functions/core/messages.js';
import type { LocalRuntime } from '../../functions/platform/local-runtime.js';
import { processFiles, tempDir, testRuntime } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

/** Counts what each topic received, by wrapping the bus every stage publishes through. */
function countPublishes(runtime: LocalRuntime, failOnce?: Topic): Map<string, number> {
  const counts = new Map<string, number>();
  const original = runtime.bus.publish.bind(runtime.bus);
  let failed = false;
  runtime.bus.publish = (async (topic: Topic, message: never, options?: never) => {
    if (topic === failOnce && !failed) {
      failed = true; // a crash between the state write and the publish
      throw new Error('simulated crash before publish');
    }
    const id = await original(topic, message, options);
    counts.set(topic, (counts.get(topic) ?? 0) + 1);
    return id;
  }) as typeof runtime.bus.publish;
  return counts;
}

describe('idempotent handlers on the local stack', () => {
  let dir: string;
  let names: string[];
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const files = await tempDir('idem');
    cleanup.push(files.dispose);
    dir = files.dir;
    await generateCorpus({
      outDir: dir, count: 6, seed: 11,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    names = (await readdir(dir)).filter((n) => n !== 'manifest.json').sort();
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('every event delivered three times gives one record and one set of side effects', async () => {
    const once = await testRuntime();
    cleanup.push(once.dispose);
    const onceCounts = countPublishes(once.runtime);
    const onceResults = await processFiles(once.runtime, dir, names);

    const thrice = await testRuntime({ bus: { deliveryCopies: 3 } });
    cleanup.push(thrice.dispose);
    const thriceCounts = countPublishes(thrice.runtime);
    const thriceResults = await processFiles(thrice.runtime, dir, names);

    expect(thrice.runtime.bus.stats().delivered).toBeGreaterThanOrEqual(3 * names.length * 3);
    expect(Object.fromEntries(thriceCounts)).toEqual(Object.fromEntries(onceCounts));
    expect(thriceCounts.get('invoice-scored')).toBe(names.length);

    const records: string[] = [];
    for await (const r of thrice.runtime.store.iterate()) records.push(r.invoiceId);
    expect(records).toHaveLength(names.length);
    expect((await thrice.runtime.blobs.list('artifacts', 'ocr/')).length).toBe(names.length);
    for (const name of names) {
      const a = onceResults.get(name)!.record!;
      const b = thriceResults.get(name)!.record!;
      expect(b.status).toBe('SCORED');
      expect(b.decision?.decision).toBe(a.decision?.decision);
      expect(b.invoice?.fields).toEqual(a.invoice?.fields);
    }
    expect(await thrice.runtime.deadLetters.count({})).toBe(0);
  });

  it.each(['ocr-completed', 'features-computed', 'invoice-scored'] as const)(
    'a crash before publishing %s is retried to exactly one outcome',
    async (topic) => {
      const { runtime, dispose } = await testRuntime();
      cleanup.push(dispose);
      const counts = countPublishes(runtime, topic);
      const results = await processFiles(runtime, dir, names.slice(0, 2));
      for (const r of results.values()) expect(r.record?.status).toBe('SCORED');
      expect(counts.get(topic)).toBe(2);
      expect(counts.get('invoice-scored')).toBe(2);
      expect(await runtime.deadLetters.count({})).toBe(0);
    },
  );

  it('a stale redelivery never moves an invoice backwards', async () => {
    const { runtime, dispose } = await testRuntime();
    cleanup.push(dispose);
    const results = await processFiles(runtime, dir, names.slice(0, 1));
    const record = [...results.values()][0]!.record!;
    const stale = await runtime.store.transition(record.invoiceId, 'OCR_DONE', {});
    expect(stale.applied).toBe(false);
    expect((await runtime.store.get(record.invoiceId))?.status).toBe('SCORED');
  });
});
