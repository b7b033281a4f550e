/**
 * Review actions against a real `ledgerx serve` child process killed with SIGKILL: right after one action was
 * acknowledged, and while many are in flight. After a restart every acknowledged action is stored exactly once,
 * with its label, in the review-label store; no action is stored twice; the review queue holds exactly the
 * invoices without a label; and an action sent again after the restart is idempotent (no second label).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import { ensureBuilt, startServe, tempDataDir, type Served } from '../web/harness.js';
import { seededRecord, seedInvoices } from '../web/seed.js';

const COUNT = 120;
/** REVIEW decisions (every fifth, as seeded) and approvals drawn for audit when scored (every tenth but one). */
function record(i: number): InvoiceRecord {
  const r = seededRecord(i);
  return i % 10 === 1 ? { ...r, decision: { ...r.decision!, auditSample: true } } : r;
}
const queued = Array.from({ length: COUNT }, (_, i) => record(i)).filter((r) => r.decision?.decision === 'REVIEW' || r.decision?.auditSample).map((r) => r.invoiceId);

interface Label { decision: string; corrections: Record<string, unknown>; note?: string; current: boolean }

/** A reviewer's API key, made once: keys are stored, so the same reviewer acts before and after a restart. */
let reviewerKey = '';

async function call<T>(served: Served, path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${served.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.key ?? served.adminKey}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const actionFor = (id: string) => {
  const n = Number.parseInt(id.slice(4), 16);
  return n % 2 === 0
    ? { decision: 'approve', corrections: { total_amount: 100 + n }, note: `checked ${n}` }
    : { decision: 'reject', note: `not ours ${n}` };
};
const review = (served: Served, id: string) => call<{ unchanged: boolean; label: Label }>(served, `/v1/invoices/${id}/review`, { method: 'POST', body: actionFor(id), key: reviewerKey });
const reviewsOf = async (served: Served, id: string) => (await call<{ items: Label[] }>(served, `/v1/invoices/${id}/reviews`)).body.items;

async function walkQueue(served: Served): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let guard = 0;
  do {
    const page = await call<{ items: Array<{ invoiceId: string }>; nextCursor?: string }>(served, `/v1/review-queue?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    ids.push(...page.body.items.map((i) => i.invoiceId));
    cursor = page.body.nextCursor;
  } while (cursor && ++guard < 100);
  return ids;
}

async function kill(served: Served): Promise<void> {
  const exited = new Promise((r) => served.child.once('exit', r));
  served.child.kill('SIGKILL');
  await exited;
}

/** After a restart: acknowledged actions stored once with their label, none twice, the queue = the unlabelled ones. */
async function expectConsistent(served: Served, acked: readonly string[]): Promise<Set<string>> {
  const labelled = new Set<string>();
  for (const id of queued) {
    const items = await reviewsOf(served, id);
    expect(items.length, id).toBeLessThanOrEqual(1);
    if (items.length === 1) {
      labelled.add(id);
      expect(items[0], id).toMatchObject({ ...actionFor(id), current: true });
    }
  }
  for (const id of acked) expect(labelled.has(id), `acknowledged ${id}`).toBe(true);
  const queue = await walkQueue(served);
  expect(new Set(queue).size).toBe(queue.length);
  expect(queue).toEqual(queued.filter((id) => !labelled.has(id)));
  return labelled;
}

describe('review actions across SIGKILL and restart of ledgerx serve', () => {
  let data: { dir: string; dispose(): Promise<void> };
  let served: Served | undefined;
  beforeAll(async () => {
    ensureBuilt();
    data = await tempDataDir();
    await seedInvoices(data.dir, 0, Array.from({ length: COUNT }, (_, i) => record(i)));
  }, 120_000);
  afterAll(async () => {
    await served?.stop();
    await data?.dispose();
  });

  it('keeps every acknowledged action exactly once, the queue consistent, and a re-sent action idempotent', async () => {
    expect(queued.length).toBe(36);
    served = await startServe(data.dir, ['--audit-rate', '0']);
    expect(await walkQueue(served)).toEqual(queued);
    const made = await call<{ key: string }>(served, '/v1/api-keys', { method: 'POST', body: { name: 'reviewer one', role: 'reviewer' } });
    expect(made.status).toBe(201);
    reviewerKey = made.body.key;

    // One action, acknowledged, then the process is killed at once.
    const first = queued[0]!;
    expect((await review(served, first)).status).toBe(200);
    await kill(served);
    served = await startServe(data.dir, ['--audit-rate', '0']);
    let labelled = await expectConsistent(served, [first]);
    expect([...labelled]).toEqual([first]);

    // Many actions in flight: killed once a few are acknowledged.
    const acked: string[] = [first];
    const pending = queued.slice(1).map((id) =>
      review(served!, id).then((r) => {
        if (r.status === 200) acked.push(id);
        return r.status;
      }, () => 'lost' as const),
    );
    const victim = served;
    await new Promise<void>((res) => {
      const timer = setInterval(() => {
        if (acked.length >= 6) {
          clearInterval(timer);
          res();
        }
      }, 1);
    });
    await kill(victim);
    const outcomes = await Promise.all(pending);
    expect(outcomes.every((o) => o === 200 || o === 'lost')).toBe(true);
    expect(outcomes).toContain('lost');
    served = await startServe(data.dir, ['--audit-rate', '0']);
    labelled = await expectConsistent(served, acked);
    expect(labelled.size).toBeGreaterThanOrEqual(acked.length);
    expect(labelled.size).toBeLessThan(queued.length);

    // The same actions again after the restart: stored already, nothing written; the lost ones are stored now.
    for (const id of queued) {
      const again = await review(served, id);
      expect(again.status, id).toBe(200);
      expect(again.body.unchanged, id).toBe(labelled.has(id));
    }
    await expectConsistent(served, queued);
    expect(await walkQueue(served)).toEqual([]);
  }, 240_000);
});
