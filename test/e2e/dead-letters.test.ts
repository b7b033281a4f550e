import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError } from '../../functions/core/errors.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { processFiles, tempDir, testRuntime } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

/** Retries exhausted: the invoice ends FAILED with the reason, the message waits in the dead-letter store, and
 * a replay after the fault is gone finishes the work. Nothing is silently lost. */
describe('dead letters and replay on the local stack', () => {
  let dir: string;
  let names: string[];
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const files = await tempDir('dl');
    cleanup.push(files.dispose);
    dir = files.dir;
    await generateCorpus({
      outDir: dir, count: 2, seed: 17,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    names = (await readdir(dir)).filter((n) => n.endsWith('.pdf')).sort();
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('an OCR outage ends FAILED with its reason and a replay completes the invoices', async () => {
    const { runtime, dispose } = await testRuntime({ bus: { maxAttempts: 2 } });
    cleanup.push(dispose);
    const ocr = runtime.deps.ocr;
    const healthy = { recognize: ocr.recognize, recognizeSerialized: ocr.recognizeSerialized };
    const outage = async (): Promise<never> => {
      throw new RetryableError('UNAVAILABLE', 'OCR backend unavailable');
    };
    ocr.recognize = outage;
    ocr.recognizeSerialized = outage;
    const results = await processFiles(runtime, dir, names);
    for (const r of results.values()) {
      expect(r.record?.status).toBe('FAILED');
      expect(r.record?.rejection?.code).toBe('UNAVAILABLE');
    }
    const letters = await runtime.deadLetters.list({});
    expect(letters).toHaveLength(names.length);
    expect(letters.map((l) => l.invoiceId).sort()).toEqual([...results.values()].map((r) => r.invoiceId).sort());
    expect(letters.every((l) => l.subscription === 'ocr' && l.attempts === 2)).toBe(true);

    Object.assign(ocr, healthy);
    const replay = await runtime.bus.replayDeadLetters();
    expect(replay.replayed).toBe(names.length);
    await runtime.drain();
    for (const r of results.values()) expect((await runtime.store.get(r.invoiceId))?.status).toBe('SCORED');
    expect(await runtime.deadLetters.count({})).toBe(0);
  });
});
