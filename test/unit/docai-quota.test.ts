/**
 * Document AI's online quota is per project (600 requests per minute by default); the rate governor is per
 * instance. Terraform gives each ocr instance floor(quota / max instances) per minute
 * (test/infra/terraform-policy.test.ts checks the expression) and the runtime builds the governor from it with
 * no burst: simulated with every instance sending as fast as its governor lets it, the project never exceeds
 * the quota in any minute. The governor's defaults (600 per minute and a burst of 10, per instance) did.
 */
import { describe, expect, it } from 'vitest';
import { createRateGovernor, type RateGovernorOptions } from '../../functions/adapters/gcp/rate-governor.js';
import { loadOcrConfig } from '../../functions/platform/gcp/config.js';
import { documentAiEngineOptions } from '../../functions/platform/gcp/runtimes/ocr.js';
import { silentLogger } from '../../functions/platform/logger.js';
import type { BlobStore } from '../../functions/core/ports.js';
import type { Firestore } from '@google-cloud/firestore';

/** A discrete-event clock: sleeping schedules a wake-up, `run` advances time wake-up by wake-up. */
function simulatedTime() {
  let now = 0;
  const wakeups: Array<{ at: number; resolve: () => void }> = [];
  const flush = () => new Promise<void>((r) => setImmediate(r));
  return {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((resolve) => wakeups.push({ at: now + ms, resolve })),
    async run(untilMs: number) {
      await flush();
      while (wakeups.length > 0) {
        wakeups.sort((a, b) => a.at - b.at);
        const next = wakeups.shift()!;
        if (next.at > untilMs) break;
        now = next.at;
        next.resolve();
        await flush();
      }
    },
  };
}

/** Send times of `instances` governors, each acquiring back to back for `minutes` simulated minutes. */
async function flood(instances: number, options: Omit<RateGovernorOptions, 'now' | 'sleep'>, minutes: number): Promise<number[]> {
  const time = simulatedTime();
  const sent: number[] = [];
  const end = minutes * 60_000;
  for (let i = 0; i < instances; i++) {
    const governor = createRateGovernor({ ...options, now: time.now, sleep: time.sleep });
    void (async () => {
      for (;;) {
        await governor.acquire();
        if (time.now() >= end) return;
        sent.push(time.now());
      }
    })();
  }
  await time.run(end);
  return sent.sort((a, b) => a - b);
}

/** The most requests in any window [t, t + 60 s). */
function busiestMinute(times: number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j]! < times[i]! + 60_000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

describe('Document AI request rate across ocr instances', () => {
  it.each([
    [600, 10],
    [600, 3],
    [600, 7],
    [600, 100],
    [1800, 40],
  ])('quota %i/min over %i instances: never more than the quota in any minute', async (quota, instances) => {
    const perInstance = Math.floor(quota / instances);
    const sent = await flood(instances, { requestsPerMinute: perInstance, burst: 1 }, 3);
    expect(busiestMinute(sent)).toBeLessThanOrEqual(quota);
    // And the quota is used, not starved: at least 90 % of it in a steady minute.
    expect(sent.filter((t) => t >= 60_000 && t < 120_000).length).toBeGreaterThanOrEqual(Math.floor(0.9 * perInstance * instances));
  });

  it('exceeded the quota with the per-instance defaults the wiring used to get', async () => {
    expect(busiestMinute(await flood(3, {}, 2))).toBeGreaterThan(600);
  });

  it("builds the ocr instance's governor from LEDGERX_DOCAI_REQUESTS_PER_MINUTE, with no burst", async () => {
    const config = loadOcrConfig({
      GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_INBOX_BUCKET: 'i', LEDGERX_ARTIFACTS_BUCKET: 'a', LEDGERX_TOPIC_OCR_COMPLETED: 'o',
      LEDGERX_TOPIC_FEATURES: 'f', LEDGERX_TOPIC_INVOICE_SCORED: 's', LEDGERX_TOPIC_DEAD_LETTER: 'd', LEDGERX_MAX_DELIVERY_ATTEMPTS: '5',
      LEDGERX_DOCAI_LOCATION: 'eu', LEDGERX_DOCAI_PROCESSOR_VERSION: 'projects/p/locations/eu/processors/x/processorVersions/v',
      LEDGERX_DOCAI_REQUESTS_PER_MINUTE: '600',
    });
    const db = { collection: () => ({}) } as unknown as Firestore;
    const options = await documentAiEngineOptions(config, { blobs: {} as BlobStore, db, log: silentLogger });
    expect(options.usage).toBeDefined();
    expect(options.batch).toBeUndefined();
    // 600 per minute = one token per 100 ms, and no burst: the second request waits for the next token.
    await options.governor!.acquire();
    const started = performance.now();
    await options.governor!.acquire();
    expect(performance.now() - started).toBeGreaterThanOrEqual(80);
  });
});
