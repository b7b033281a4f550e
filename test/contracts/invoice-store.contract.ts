import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InvoiceStatus } from '../../functions/core/invoice/status.js';
import type { RevisionRequest } from '../../functions/core/invoice/history.js';
import type { InvoiceStore, ListQuery } from '../../functions/core/ports.js';
import { isoAt, makeRecord, sha, summaryOf, type RecordSpec } from './invoice-records.js';

/** A fresh, empty {@link InvoiceStore}; `dispose` releases it. */
export interface InvoiceStoreHarness {
  store: InvoiceStore;
  dispose(): Promise<void>;
  /** The environment with which test/helpers/revision-chunks-child.ts opens the same store in another process. */
  childEnv: Record<string, string>;
}

/** Runs test/helpers/revision-chunks-child.ts until it printed `round <r>` for `round`, then kills it with SIGKILL. */
async function killChildAfterRound(env: Record<string, string>, round: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../helpers/revision-chunks-child.ts')], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((res) => child.once('exit', (code, signal) => res(signal ?? code)));
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Killed at once: the next round's first chunk is being written.
      if (out.includes(`round ${round}\n`)) {
        child.kill('SIGKILL');
        res();
      }
    });
    void exited.then((how) => rej(new Error(`the child ended (${String(how)}) before round ${round}: ${err.slice(-2000)}`)));
  });
  expect(await exited).toBe('SIGKILL');
}

/**
 * The behaviour every {@link InvoiceStore} adapter must have (embedded database, Firestore): conditional
 * create, forward-only transitions even under concurrent and stale writes, writes bound to a revision, atomic
 * duplicate-key reservations, supplier running stats, explicit revisions with history, keyset paging.
 */
export function runInvoiceStoreContract(name: string, factory: () => Promise<InvoiceStoreHarness>): void {
  describe(`InvoiceStore contract: ${name}`, () => {
    let h: InvoiceStoreHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.dispose();
    });
    const seed = async (specs: RecordSpec[]) => {
      const records = specs.map(makeRecord);
      for (const r of records) await h.store.createIfAbsent(r);
      return records;
    };
    /** One invoice's start, as a request of one. */
    const startOne = async (invoiceId: string, request: RevisionRequest) => (await h.store.startRevisions([{ invoiceId, ...request }]))[0]!;

    it('creates a record once and returns the stored one on a second create', async () => {
      expect(await h.store.get('inv-1')).toBeNull();
      const first = await h.store.createIfAbsent(makeRecord({ id: 'inv-1', at: 1 }));
      expect(first.created).toBe(true);
      const again = await h.store.createIfAbsent({ ...makeRecord({ id: 'inv-1', at: 2 }), fileName: 'other.pdf' });
      expect(again.created).toBe(false);
      expect(again.record.fileName).toBe('inv-1.pdf');
      expect(again.record.createdAt).toBe(isoAt(1));
      expect((await h.store.get('inv-1'))?.fileName).toBe('inv-1.pdf');
    });

    it('applies forward transitions with their patch and refuses backward ones', async () => {
      await seed([{ id: 'inv-1', at: 1 }]);
      const ocr = await h.store.transition('inv-1', 'OCR_DONE', { pageCount: 2, contentSha256: sha('a') });
      expect(ocr.applied).toBe(true);
      expect(ocr.record).toMatchObject({ status: 'OCR_DONE', pageCount: 2, contentSha256: sha('a') });
      const back = await h.store.transition('inv-1', 'RECEIVED', { pageCount: 99 });
      expect(back.applied).toBe(false);
      expect(back.record).toMatchObject({ status: 'OCR_DONE', pageCount: 2 });
      expect(await h.store.get('inv-1')).toMatchObject({ status: 'OCR_DONE', pageCount: 2 });
    });

    it('never lets a patch change identity fields', async () => {
      await seed([{ id: 'inv-1', at: 1 }]);
      const moved = await h.store.transition('inv-1', 'OCR_DONE', {
        invoiceId: 'other',
        createdAt: isoAt(500),
        source: { bucket: 'x', name: 'y', generation: '1' },
      });
      expect(moved.record).toMatchObject({ invoiceId: 'inv-1', createdAt: isoAt(1), source: { bucket: 'inbox' } });
      expect(await h.store.get('other')).toBeNull();
    });

    it('merges a patch: fields it does not carry keep their values', async () => {
      await seed([{ id: 'merge', at: 1, status: 'RECEIVED' }]);
      await h.store.transition('merge', 'OCR_DONE', { timings: { ocr: 12 }, pageCount: 2 });
      const { record } = await h.store.transition('merge', 'FEATURES_DONE', { featureSchemaVersion: 'v-test' });
      expect(record).toMatchObject({ status: 'FEATURES_DONE', timings: { ocr: 12 }, pageCount: 2, featureSchemaVersion: 'v-test' });
      expect(await h.store.get('merge')).toMatchObject({ timings: { ocr: 12 }, pageCount: 2 });
    });

    it('keeps terminal states: SCORED is not failed afterwards, REJECTED never moves', async () => {
      await seed([
        { id: 'scored', at: 1, status: 'SCORED' },
        { id: 'rejected', at: 2, status: 'REJECTED' },
        { id: 'failed', at: 3, status: 'FAILED' },
      ]);
      expect((await h.store.transition('scored', 'FAILED', {})).applied).toBe(false);
      // A redelivery never re-scores: SCORED -> SCORED is refused (a new model is a new revision).
      expect((await h.store.transition('scored', 'SCORED', { fileName: 'rescored.pdf' })).applied).toBe(false);
      expect((await h.store.get('scored'))?.fileName).toBe('scored.pdf');
      for (const to of ['OCR_DONE', 'SCORED', 'FAILED'] as const) {
        expect((await h.store.transition('rejected', to, {})).applied).toBe(false);
      }
      expect((await h.store.transition('failed', 'FEATURES_DONE', {})).applied).toBe(true);
    });

    it('ends at the furthest status whatever order concurrent and stale duplicates arrive in', async () => {
      const steps: InvoiceStatus[] = ['OCR_DONE', 'FEATURES_DONE', 'SCORED'];
      const orders = [steps, [...steps].reverse(), ['FEATURES_DONE', 'SCORED', 'OCR_DONE'] as InvoiceStatus[]];
      for (const [i, order] of orders.entries()) {
        const id = `race-${i}`;
        await seed([{ id, at: i }]);
        // Every step delivered three times, all at once (redeliveries of the same events).
        const results = await Promise.all(
          [...order, ...order, ...order].map((to) => h.store.transition(id, to, { timings: { [to]: 1 } })),
        );
        expect((await h.store.get(id))?.status).toBe('SCORED');
        expect(results.filter((r) => r.applied && r.record.status === 'OCR_DONE').length).toBeLessThanOrEqual(1);
        // A stale duplicate arriving later changes nothing.
        const stale = await h.store.transition(id, 'OCR_DONE', { pageCount: 7 });
        expect(stale.applied).toBe(false);
        expect(stale.record.status).toBe('SCORED');
        expect((await h.store.get(id))?.pageCount).toBeUndefined();
      }
    });

    it('rejects a transition of an unknown invoice', async () => {
      await expect(h.store.transition('nope', 'OCR_DONE', {})).rejects.toThrow();
    });

    it('reserves a duplicate key for exactly one of 20 copies processed at the same time', async () => {
      const copies = await seed(Array.from({ length: 20 }, (_, i) => ({ id: `copy-${String(i).padStart(2, '0')}`, at: i })));
      for (const kind of ['content', 'business'] as const) {
        const holders = await Promise.all(
          copies.map((c) => h.store.reserveDuplicateKey(kind, `${kind}-key`, { invoiceId: c.invoiceId, createdAt: c.createdAt })),
        );
        const winners = new Set(holders.map((x) => x.invoiceId));
        expect(winners.size).toBe(1);
        const [winner] = [...winners];
        expect(holders.filter((x, i) => x.invoiceId === copies[i]!.invoiceId)).toHaveLength(1);
        // The holder reserving again (a redelivery) is still the holder; a later copy gets the holder.
        const own = copies.find((c) => c.invoiceId === winner)!;
        expect(await h.store.reserveDuplicateKey(kind, `${kind}-key`, { invoiceId: own.invoiceId, createdAt: own.createdAt })).toMatchObject({ invoiceId: winner });
        expect(await h.store.reserveDuplicateKey(kind, `${kind}-key`, { invoiceId: 'late', createdAt: isoAt(99) })).toMatchObject({ invoiceId: winner, createdAt: own.createdAt });
      }
    });

    it('hands a held key over only to one claimant replacing the current holder, and frees it only for its holder', async () => {
      const first = await h.store.reserveDuplicateKey('business', 'acme|INV-1', { invoiceId: 'failed-one', createdAt: isoAt(1) });
      expect(first.invoiceId).toBe('failed-one');
      const takeovers = await Promise.all(
        ['re-1', 're-2', 're-3'].map((id, i) =>
          h.store.reserveDuplicateKey('business', 'acme|INV-1', { invoiceId: id, createdAt: isoAt(10 + i) }, { replacing: 'failed-one' }),
        ),
      );
      const newHolder = takeovers[0]!.invoiceId;
      expect(['re-1', 're-2', 're-3']).toContain(newHolder);
      expect(takeovers.every((t) => t.invoiceId === newHolder)).toBe(true);
      await h.store.releaseDuplicateKey('business', 'acme|INV-1', 'failed-one');
      expect((await h.store.reserveDuplicateKey('business', 'acme|INV-1', { invoiceId: 'x', createdAt: isoAt(50) })).invoiceId).toBe(newHolder);
      await h.store.releaseDuplicateKey('business', 'acme|INV-1', newHolder);
      expect((await h.store.reserveDuplicateKey('business', 'acme|INV-1', { invoiceId: 'x', createdAt: isoAt(50) })).invoiceId).toBe('x');
      // Kinds are separate indexes.
      expect((await h.store.reserveDuplicateKey('content', 'acme|INV-1', { invoiceId: 'y', createdAt: isoAt(60) })).invoiceId).toBe('y');
    });

    it('writes nothing for a message of another revision', async () => {
      await seed([{ id: 'rev', at: 1 }]);
      expect((await h.store.transition('rev', 'OCR_DONE', { pageCount: 1 }, { revision: 2 })).applied).toBe(false);
      expect((await h.store.transition('rev', 'OCR_DONE', { pageCount: 1 }, { revision: 1 })).applied).toBe(true);
      expect((await h.store.transition('rev', 'FEATURES_DONE', { revision: 7 } as never, { revision: 1 })).record.revision).toBe(1);
    });

    it('starts a new revision of a settled invoice, keeps the earlier result in its history, and refuses stale or unsettled starts', async () => {
      await seed([
        { id: 'r-1', at: 1, status: 'SCORED', decision: 'APPROVE', total: 10 },
        { id: 'r-busy', at: 2, status: 'FEATURES_DONE' },
      ]);
      await h.store.transition('r-1', 'FAILED', {});
      // Not settled yet / nothing to restart from.
      expect((await startOne('r-busy', { from: 'OCR_DONE', reason: 'x', expectedRevision: 1 })).applied).toBe(false);
      const noOcr = await startOne('r-1', { from: 'OCR_DONE', reason: 'reprocess', expectedRevision: 1 });
      expect(noOcr).toMatchObject({ applied: false, reason: expect.stringContaining('OCR') });
      await seed([{ id: 'r-2', at: 3, status: 'SCORED', decision: 'REVIEW', total: 20 }]);
      const features = { f1: 1, f2: null };
      // Give r-2 the facts a restart needs (as the pipeline records them).
      const withFacts = { ...makeRecord({ id: 'r-2b', at: 4, status: 'SCORED', decision: 'REVIEW', total: 20 }), ocrUri: 'artifacts/ocr/x.json', features, featureSchemaVersion: 'v-test' };
      await h.store.createIfAbsent(withFacts);
      const started = await startOne('r-2b', { from: 'FEATURES_DONE', reason: 'backfill: quality@v2', expectedRevision: 1 });
      expect(started.applied).toBe(true);
      expect(started.record).toMatchObject({ revision: 2, status: 'FEATURES_DONE', features, featureSchemaVersion: 'v-test' });
      expect(started.record?.decision).toBeUndefined();
      // The same start again (a rerun of the batch job) does nothing.
      expect((await startOne('r-2b', { from: 'FEATURES_DONE', reason: 'again', expectedRevision: 1 })).applied).toBe(false);
      // A stale write of revision 1 cannot touch revision 2; revision 2 moves forward normally.
      expect((await h.store.transition('r-2b', 'SCORED', {}, { revision: 1 })).applied).toBe(false);
      const rescored = await h.store.transition('r-2b', 'SCORED', { decision: { ...withFacts.decision!, decision: 'APPROVE' } }, { revision: 2 });
      expect(rescored.applied).toBe(true);
      const reprocessed = await startOne('r-2b', { from: 'OCR_DONE', reason: 'reprocess: extraction change', expectedRevision: 2 });
      expect(reprocessed.record).toMatchObject({ revision: 3, status: 'OCR_DONE' });
      expect(reprocessed.record?.invoice).toBeUndefined();
      expect(reprocessed.record?.features).toBeUndefined();
      const history = await h.store.history('r-2b');
      expect(history.map((e) => [e.revision, e.status, e.decision?.decision, e.reason])).toEqual([
        [1, 'SCORED', 'REVIEW', 'backfill: quality@v2'],
        [2, 'SCORED', 'APPROVE', 'reprocess: extraction change'],
      ]);
      expect(history[0]!.invoice?.fields.total_amount?.value).toBe(20);
      expect(await h.store.history('r-1')).toEqual([]);
      expect(await startOne('nope', { from: 'OCR_DONE', reason: 'x', expectedRevision: 1 })).toMatchObject({ applied: false, reason: 'no such invoice' });
    });

    describe('startRevisions (a chunk of a batch job)', () => {
      const settled = async (n: number, prefix: string) => {
        const records = Array.from({ length: n }, (_, i) => ({
          ...makeRecord({ id: `${prefix}-${String(i).padStart(3, '0')}`, at: i, status: 'SCORED', decision: 'APPROVE', total: 10 + i }),
          ocrUri: 'artifacts/ocr/x.json',
        }));
        for (const r of records) await h.store.createIfAbsent(r);
        return records.map((r) => r.invoiceId);
      };
      const request = (invoiceId: string, expectedRevision = 1, reason = 'reprocess [job j1]') => ({ invoiceId, from: 'OCR_DONE' as const, reason, expectedRevision });

      it('decides each invoice on its own: a stale, unsettled or unknown one is refused alone, the rest start with their history', async () => {
        const [a, b, c] = await settled(3, 'c');
        await seed([{ id: 'busy', at: 10, status: 'FEATURES_DONE' }]);
        // b moved on since the job read it: revision 2 already.
        await startOne(b!, { from: 'OCR_DONE', reason: 'earlier', expectedRevision: 1 });
        const results = await h.store.startRevisions([request(a!), request(b!), request('busy'), request('nope'), request(c!)]);
        expect(results.map((r) => [r.invoiceId, r.applied])).toEqual([[a, true], [b, false], ['busy', false], ['nope', false], [c, true]]);
        expect(results[1]).toMatchObject({ reason: expect.stringContaining('revision 2') });
        expect(results[0]).toMatchObject({ record: { revision: 2, status: 'OCR_DONE', ocrUri: 'artifacts/ocr/x.json' } });
        for (const id of [a!, c!]) {
          expect(await h.store.get(id)).toMatchObject({ revision: 2, status: 'OCR_DONE' });
          expect((await h.store.history(id)).map((e) => [e.revision, e.status, e.decision?.decision, e.reason])).toEqual([[1, 'SCORED', 'APPROVE', 'reprocess [job j1]']]);
        }
        expect((await h.store.history(b!)).map((e) => e.reason)).toEqual(['earlier']);
        expect(await h.store.get('busy')).toMatchObject({ revision: 1, status: 'FEATURES_DONE' });
        expect(await h.store.history('busy')).toEqual([]);
      });

      it('starts nothing for the same chunk again, nor twice for two copies of a chunk at the same time', async () => {
        const ids = await settled(12, 'd');
        const chunk = ids.map((id) => request(id));
        expect((await h.store.startRevisions(chunk)).every((r) => r.applied)).toBe(true);
        expect((await h.store.startRevisions(chunk)).some((r) => r.applied)).toBe(false);
        for (const id of ids) await h.store.transition(id, 'FAILED', {}, { revision: 2 });
        const again = ids.map((id) => request(id, 2, 'second run'));
        const [first, second] = await Promise.all([h.store.startRevisions(again), h.store.startRevisions(again)]);
        for (let i = 0; i < ids.length; i++) expect([first![i]!.applied, second![i]!.applied].filter(Boolean)).toHaveLength(1);
        for (const id of ids) {
          expect((await h.store.get(id))?.revision).toBe(3);
          expect((await h.store.history(id)).map((e) => e.revision)).toEqual([1, 2]);
        }
      });

      it('a process killed (SIGKILL) half way through a chunk leaves each invoice with all of its revision or none', async () => {
        const ids = await settled(60, 'k');
        await killChildAfterRound({ ...h.childEnv, LEDGERX_TEST_IDS: ids.join(','), LEDGERX_TEST_CHUNK: '20' }, 2);
        const revisions: number[] = [];
        for (const id of ids) {
          const record = (await h.store.get(id))!;
          // Revision n has exactly the n - 1 earlier results in its history: a start is never half written.
          expect((await h.store.history(id)).map((e) => e.revision)).toEqual(Array.from({ length: record.revision - 1 }, (_, i) => i + 1));
          revisions.push(record.revision);
        }
        expect(Math.min(...revisions)).toBeGreaterThanOrEqual(3);
      }, 60_000);
    });

    it('finds near duplicates by supplier, amount range, date range and currency', async () => {
      const base = { supplierKey: 'acme', currency: 'EUR' };
      const [, , , , , , probe] = await seed([
        { id: 'n1', at: 1, ...base, total: 100, date: '2025-02-01' },
        { id: 'n2', at: 2, ...base, total: 150, date: '2025-02-01' },
        { id: 'n3', at: 3, ...base, total: 101, date: '2025-04-01' },
        { id: 'n4', at: 4, supplierKey: 'acme', currency: 'USD', total: 100, date: '2025-02-02' },
        { id: 'n5', at: 5, supplierKey: 'globex', currency: 'EUR', total: 100, date: '2025-02-02' },
        { id: 'n6', at: 99, ...base, total: 100, date: '2025-02-02' },
        { id: 'probe', at: 50, ...base, total: 100, date: '2025-02-03' },
      ]);
      const query = {
        supplierKey: 'acme',
        currency: 'EUR',
        minAmount: 99,
        maxAmount: 101,
        dateFrom: '2025-01-20',
        dateTo: '2025-02-20',
        excludeInvoiceId: 'probe',
      };
      const ids = async (q: typeof query | Omit<typeof query, 'currency'>) =>
        (await h.store.findNearDuplicates(q, summaryOf(probe!))).map((s) => s.invoiceId);
      expect(await ids(query)).toEqual(['n1']);
      const { currency: _c, ...anyCurrency } = query;
      expect(await ids(anyCurrency)).toEqual(['n1', 'n4']);
      expect(await ids({ ...query, maxAmount: 150 })).toEqual(['n1', 'n2']);
      expect(await ids({ ...query, dateTo: '2025-04-30' })).toEqual(['n1', 'n3']);
      expect(await ids({ ...query, excludeInvoiceId: 'n1' })).toEqual([]);
    });

    it('keeps supplier running stats over the invoices that reached FEATURES_DONE, each counted once', async () => {
      const specs = [
        { id: 's1', at: 1, supplierKey: 'acme', total: 99, date: '2025-01-10', iban: 'DE89 3704 0044 0532 0130 00' },
        { id: 's2', at: 2, supplierKey: 'acme', total: 999, date: '2025-02-10', iban: 'DE89370400440532013000' },
        { id: 's3', at: 3, supplierKey: 'acme', date: '2025-01-20', iban: 'GB29NWBK60161331926819' },
        { id: 'g1', at: 4, supplierKey: 'globex', total: 5, date: '2025-03-10', iban: 'FR1420041010050500013M02606' },
      ];
      for (const spec of specs) {
        const { supplierKey, ...rest } = spec;
        const record = makeRecord({ ...rest, status: 'OCR_DONE' });
        await h.store.createIfAbsent(record);
        // The store counts an invoice when it first reaches FEATURES_DONE with its supplier key; a stale
        // duplicate of that move, or a later revision, does not count it again.
        await h.store.transition(spec.id, 'FEATURES_DONE', { supplierKey, invoice: record.invoice });
        await h.store.transition(spec.id, 'FEATURES_DONE', { supplierKey, invoice: record.invoice });
      }
      const history = await h.store.supplierHistory('acme', 'de89370400440532013000');
      expect(history.count).toBe(3);
      const logs = [Math.log(100), Math.log(1000)];
      const mean = (logs[0]! + logs[1]!) / 2;
      expect(history.meanLogAmount).toBeCloseTo(mean, 9);
      expect(history.stdLogAmount).toBeCloseTo(Math.abs(logs[1]! - logs[0]!) / 2, 9);
      expect(history.lastInvoiceDate).toBe('2025-02-10');
      expect(history.distinctIbans).toBe(2);
      expect(history.ibanSeenBefore).toBe(true);
      expect((await h.store.supplierHistory('acme', 'NL91ABNA0417164300')).ibanSeenBefore).toBe(false);
      expect((await h.store.supplierHistory('acme')).ibanSeenBefore).toBe(false);
      const none = await h.store.supplierHistory('initech', 'DE89370400440532013000');
      expect(none).toMatchObject({ count: 0, meanLogAmount: 0, stdLogAmount: 0, distinctIbans: 0, ibanSeenBefore: false });
      expect(none.lastInvoiceDate).toBeUndefined();
    });

    it('counts an invoice that moves from OCR_DONE straight to SCORED (a batch job running the stages inline) once', async () => {
      const record = { ...makeRecord({ id: 'inline-1', at: 5, status: 'OCR_DONE', total: 42, date: '2025-05-01' }), ocrUri: 'artifacts/ocr/local/inline-1.json' };
      await h.store.createIfAbsent(record);
      const before = await h.store.supplierHistory('inline-supplier');
      const patch = { supplierKey: 'inline-supplier', invoice: record.invoice };
      expect((await h.store.transition('inline-1', 'SCORED', patch)).applied).toBe(true);
      expect((await h.store.supplierHistory('inline-supplier')).count).toBe(before.count + 1);
      // Its next revision scored again is the same invoice: not counted twice.
      await startOne('inline-1', { from: 'OCR_DONE', reason: 'reprocess', expectedRevision: 1 });
      await h.store.transition('inline-1', 'SCORED', patch, { revision: 2 });
      expect((await h.store.supplierHistory('inline-supplier')).count).toBe(before.count + 1);
    });

    it('lists newest first with filters and a keyset cursor that visits every invoice once', async () => {
      await seed(
        Array.from({ length: 23 }, (_, i) => ({
          id: `l-${String(i).padStart(2, '0')}`,
          at: Math.floor(i / 2), // pairs share a createdAt: the cursor must break ties
          status: (i % 3 === 0 ? 'SCORED' : 'RECEIVED') as InvoiceStatus,
          decision: i % 3 === 0 ? (i % 2 === 0 ? ('APPROVE' as const) : ('REVIEW' as const)) : undefined,
        })),
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await h.store.list({ limit: 5, cursor });
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items.map((s) => s.invoiceId));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== undefined && pages < 20);
      expect(pages).toBe(5);
      expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `l-${String(22 - i).padStart(2, '0')}`));
      const scored = await h.store.list({ status: 'SCORED', limit: 100 });
      expect(scored.items.map((s) => s.invoiceId)).toEqual(['l-21', 'l-18', 'l-15', 'l-12', 'l-09', 'l-06', 'l-03', 'l-00']);
      expect(scored.nextCursor).toBeUndefined();
      const review = await h.store.list({ decision: 'REVIEW', limit: 100 });
      expect(review.items.map((s) => s.invoiceId)).toEqual(['l-21', 'l-15', 'l-09', 'l-03']);
      expect(review.items[0]).toMatchObject({ status: 'SCORED', decision: 'REVIEW' });
    });

    it('filters the listing by supplier, received range, reason and model version, in both orders, with every filter combined', async () => {
      const v1 = { quality: 'v1', failure: 'v1' };
      const v2 = { quality: 'v2', failure: 'v1' };
      const specs = Array.from({ length: 30 }, (_, i) => ({
        id: `f-${String(i).padStart(2, '0')}`,
        at: 100 + Math.floor(i / 2),
        status: (i % 5 === 4 ? 'REJECTED' : 'SCORED') as InvoiceStatus,
        supplierKey: i % 3 === 0 ? 'vat:DE1' : 'name:globex',
        decision: i % 5 === 4 ? undefined : ((i % 2 === 0 ? 'REVIEW' : 'APPROVE') as 'REVIEW' | 'APPROVE'),
        reasons: i % 4 === 0 ? ['DUP_NEAR', 'LOW_FIELD_CONFIDENCE'] : i % 4 === 1 ? ['LOW_FIELD_CONFIDENCE'] : [],
        models: i < 15 ? v1 : v2,
      }));
      await seed(specs);
      const all = async (q: Omit<ListQuery, 'limit' | 'cursor'>, pageSize = 4) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        let guard = 0;
        do {
          const page = await h.store.list({ ...q, limit: pageSize, cursor });
          expect(page.items.length).toBeLessThanOrEqual(pageSize);
          ids.push(...page.items.map((s) => s.invoiceId));
          cursor = page.nextCursor;
        } while (cursor !== undefined && ++guard < 100);
        return ids;
      };
      const expected = (pred: (s: (typeof specs)[number], i: number) => boolean, order: 'newest' | 'oldest' = 'newest') => {
        const ids = specs.filter(pred).map((s) => s.id);
        return order === 'newest' ? ids.reverse() : ids;
      };
      expect(await all({ supplierKey: 'vat:DE1' })).toEqual(expected((s) => s.supplierKey === 'vat:DE1'));
      expect(await all({ reason: 'DUP_NEAR' })).toEqual(expected((s, i) => !!s.decision && i % 4 === 0));
      expect(await all({ reason: 'LOW_FIELD_CONFIDENCE', order: 'oldest' })).toEqual(expected((s, i) => !!s.decision && i % 4 <= 1, 'oldest'));
      expect(await all({ modelVersion: 'quality@v2' })).toEqual(expected((s, i) => !!s.decision && i >= 15));
      expect(await all({ modelVersion: 'v1' })).toEqual(expected((s) => !!s.decision));
      expect(await all({ createdFrom: isoAt(103), createdTo: isoAt(110) })).toEqual(expected((s) => s.at >= 103 && s.at < 110));
      expect(await all({ decision: 'REVIEW', order: 'oldest' }, 3)).toEqual(expected((s) => s.decision === 'REVIEW', 'oldest'));
      // Everything at once, including a reason and a model together.
      const combined = { status: 'SCORED' as const, decision: 'REVIEW', supplierKey: 'vat:DE1', reason: 'LOW_FIELD_CONFIDENCE', modelVersion: 'quality@v1', createdFrom: isoAt(100), createdTo: isoAt(114) };
      const want = expected((s, i) => s.status === 'SCORED' && s.decision === 'REVIEW' && s.supplierKey === 'vat:DE1' && i % 4 <= 1 && i < 15 && s.at < 114);
      expect(want.length).toBeGreaterThan(0);
      expect(await all(combined, 1)).toEqual(want);
      expect(await all({ ...combined, order: 'oldest' }, 2)).toEqual([...want].reverse());
      expect(await all({ reason: 'NO_SUCH_REASON' })).toEqual([]);
      await expect(h.store.list({ limit: 5, cursor: 'not-a-cursor' })).rejects.toThrow();
    });

    it('moves an invoice between reason filters when its decision changes', async () => {
      await seed([{ id: 't-1', at: 1, status: 'FEATURES_DONE' }]);
      expect((await h.store.list({ reason: 'DUP_NEAR', limit: 10 })).items).toEqual([]);
      const scored = makeRecord({ id: 't-1', at: 1, status: 'SCORED', decision: 'REVIEW', reasons: ['DUP_NEAR'], models: { anomaly: 'v9' } });
      await h.store.transition('t-1', 'SCORED', { decision: scored.decision });
      expect((await h.store.list({ reason: 'DUP_NEAR', limit: 10 })).items.map((s) => s.invoiceId)).toEqual(['t-1']);
      expect((await h.store.list({ modelVersion: 'anomaly@v9', limit: 10 })).items.map((s) => s.invoiceId)).toEqual(['t-1']);
      expect((await h.store.list({ modelVersion: 'v9', decision: 'REVIEW', limit: 10 })).items.map((s) => s.invoiceId)).toEqual(['t-1']);
      expect((await h.store.get('t-1'))?.decision?.reasons.map((r) => r.code)).toEqual(['DUP_NEAR']);
    });

    it('serves the review queue as one ordered range: REVIEW decisions and the audit sample, reviewed ones leave, a new revision returns', async () => {
      type Spec = RecordSpec & { inQueue: boolean };
      const specs: Spec[] = Array.from({ length: 26 }, (_, i) => {
        const kind = i % 6;
        const base = { id: `q-${String(i).padStart(2, '0')}`, at: 200 + Math.floor(i / 2), status: 'SCORED' as InvoiceStatus };
        // 0: REVIEW; 1: APPROVE drawn for audit; 2: APPROVE not drawn; 3: REJECT; 4: still processing; 5: REVIEW.
        if (kind === 0 || kind === 5) return { ...base, decision: 'REVIEW' as const, inQueue: true };
        if (kind === 1) return { ...base, decision: 'APPROVE' as const, auditSample: true, inQueue: true };
        if (kind === 2) return { ...base, decision: 'APPROVE' as const, auditSample: false, inQueue: false };
        if (kind === 3) return { ...base, decision: 'REJECT' as const, inQueue: false };
        return { ...base, status: 'FEATURES_DONE' as InvoiceStatus, inQueue: false };
      });
      // Stored features, so that q-00 can be re-scored as a new revision.
      for (const r of specs.map(makeRecord)) await h.store.createIfAbsent({ ...r, featureSchemaVersion: 'test-v1', features: { a: 1 } });
      const queue = async (pageSize: number) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        let guard = 0;
        do {
          const page = await h.store.list({ reviewQueue: true, order: 'oldest', limit: pageSize, cursor });
          expect(page.items.length).toBeLessThanOrEqual(pageSize);
          ids.push(...page.items.map((s) => s.invoiceId));
          for (const s of page.items) expect(s.revision).toBe((await h.store.get(s.invoiceId))?.revision);
          cursor = page.nextCursor;
        } while (cursor !== undefined && ++guard < 100);
        return ids;
      };
      let open = specs.filter((s) => s.inQueue).map((s) => s.id);
      expect(open.length).toBe(14);
      expect(await queue(4)).toEqual(open);
      expect(await queue(1)).toEqual(open);

      // Reviewed (at the current revision): out of the queue, once; an unknown invoice or a repeat writes nothing.
      const reviewed = ['q-00', 'q-07', 'q-11'];
      for (const id of reviewed) expect(await h.store.markReviewed(id, 1)).toBe(true);
      expect(await h.store.markReviewed('q-00', 1)).toBe(false);
      expect(await h.store.markReviewed('nope', 1)).toBe(false);
      expect((await h.store.get('q-07'))).toMatchObject({ reviewedRevision: 1, updatedAt: isoAt(203) });
      open = open.filter((id) => !reviewed.includes(id));
      expect(await queue(3)).toEqual(open);
      // A page cut right after a reviewed invoice goes on where it stopped.
      const first = await h.store.list({ reviewQueue: true, order: 'oldest', limit: 2 });
      await h.store.markReviewed(first.items[1]!.invoiceId, 1);
      const rest = await h.store.list({ reviewQueue: true, order: 'oldest', limit: 100, cursor: first.nextCursor });
      expect([...first.items, ...rest.items].map((s) => s.invoiceId)).toEqual(open);
      open = open.filter((id) => id !== first.items[1]!.invoiceId);

      // A new revision of a reviewed invoice: out while it is re-scored, back with its new REVIEW decision.
      const started = await startOne('q-00', { from: 'FEATURES_DONE', reason: 'backfill: test', expectedRevision: 1 });
      expect(started.applied).toBe(true);
      expect(await queue(50)).toEqual(open);
      await h.store.transition('q-00', 'SCORED', { decision: makeRecord({ id: 'q-00', at: 200, decision: 'REVIEW' }).decision }, { revision: 2 });
      expect(await queue(50)).toEqual(['q-00', ...open]);
      // A label of the earlier revision does not take the new one out; one of the new revision does.
      expect(await h.store.markReviewed('q-00', 1)).toBe(false);
      expect(await queue(50)).toEqual(['q-00', ...open]);
      expect(await h.store.markReviewed('q-00', 2)).toBe(true);
      expect(await queue(50)).toEqual(open);

      // An auto-approval drawn for audit by a later scoring joins the queue; the other listings are unchanged.
      await h.store.transition('q-04', 'SCORED', { decision: makeRecord({ id: 'q-04', at: 202, decision: 'APPROVE', auditSample: true }).decision });
      expect(await queue(5)).toEqual(['q-04', ...open].sort());
      expect((await h.store.list({ decision: 'APPROVE', order: 'oldest', limit: 100 })).items.map((s) => s.invoiceId)).toEqual(
        specs.filter((s) => s.decision === 'APPROVE' || s.id === 'q-04').map((s) => s.id),
      );
    });

    it('lists the records of a status by update time in a range, keyset-paged, and counts a status by index', async () => {
      // Created in one order, failed in another: the listing follows the failure time, never the creation.
      const failedAt: Record<string, number> = { 'f-a': 500, 'f-b': 100, 'f-c': 300, 'f-d': 300, 'f-e': 900 };
      for (const [id, at] of Object.entries(failedAt)) {
        await h.store.createIfAbsent({ ...makeRecord({ id, at: Object.keys(failedAt).indexOf(id), status: 'FAILED' }), updatedAt: isoAt(at), rejection: { code: 'OCR_UNAVAILABLE', message: `failed ${id}` } });
      }
      await seed([{ id: 's-1', at: 10, status: 'SCORED' }, { id: 'r-1', at: 11, status: 'RECEIVED' }]);
      const all = async (query: { updatedFrom?: string; updatedTo?: string }, limit: number) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await h.store.listUpdated({ status: 'FAILED', ...query, limit, cursor });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          for (const r of page.items) expect(r).toMatchObject({ status: 'FAILED', rejection: { message: `failed ${r.invoiceId}` } });
          ids.push(...page.items.map((r) => r.invoiceId));
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor && pages < 20);
        return ids;
      };
      // Ties on the update time are ordered by id; two per page visits each record once.
      expect(await all({}, 2)).toEqual(['f-b', 'f-c', 'f-d', 'f-a', 'f-e']);
      expect(await all({ updatedFrom: isoAt(300) }, 2)).toEqual(['f-c', 'f-d', 'f-a', 'f-e']);
      expect(await all({ updatedFrom: isoAt(301), updatedTo: isoAt(900) }, 1)).toEqual(['f-a']);
      expect(await all({ updatedFrom: isoAt(901) }, 10)).toEqual([]);
      expect((await h.store.listUpdated({ status: 'RECEIVED', updatedTo: isoAt(12), limit: 10 })).items.map((r) => r.invoiceId)).toEqual(['r-1']);
      expect(await h.store.countByStatus('FAILED')).toBe(5);
      expect(await h.store.countByStatus('FAILED', { updatedFrom: isoAt(300) })).toBe(4);
      expect(await h.store.countByStatus('SCORED')).toBe(1);
      expect(await h.store.countByStatus('OCR_DONE')).toBe(0);
      // A failure moves the record into the range at its new update time; a replay moves it out of FAILED.
      await h.store.transition('r-1', 'FAILED', { updatedAt: isoAt(1000), rejection: { code: 'OCR_UNAVAILABLE', message: 'failed r-1' } });
      await h.store.transition('f-b', 'OCR_DONE', { updatedAt: isoAt(1001) });
      expect(await all({ updatedFrom: isoAt(900) }, 10)).toEqual(['f-e', 'r-1']);
      expect(await h.store.countByStatus('FAILED')).toBe(5);
      await expect(h.store.listUpdated({ status: 'FAILED', limit: 1, cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
    });

    it('iterates every full record in creation order', async () => {
      await seed([
        { id: 'i-c', at: 3, total: 3 },
        { id: 'i-a', at: 1, total: 1 },
        { id: 'i-b', at: 2, total: 2 },
      ]);
      const ids: string[] = [];
      for await (const record of h.store.iterate()) {
        ids.push(record.invoiceId);
        expect(record.invoice?.fields.total_amount?.value).toBeTypeOf('number');
      }
      expect(ids).toEqual(['i-a', 'i-b', 'i-c']);
    });

    it('iterates the records created in a half-open range, in creation order', async () => {
      const records = await seed([
        { id: 'r-d', at: 4, total: 4 },
        { id: 'r-a', at: 1, total: 1 },
        { id: 'r-c', at: 3, total: 3 },
        { id: 'r-b', at: 2, total: 2 },
      ]);
      const at = (id: string) => records.find((r) => r.invoiceId === id)!.createdAt;
      const ids = async (range: { createdFrom?: string; createdTo?: string }) => {
        const out: string[] = [];
        for await (const record of h.store.iterate(range)) out.push(record.invoiceId);
        return out;
      };
      // The lower end is inclusive, the upper exclusive (a day is [00:00, next 00:00)).
      expect(await ids({ createdFrom: at('r-b'), createdTo: at('r-d') })).toEqual(['r-b', 'r-c']);
      expect(await ids({ createdFrom: at('r-c') })).toEqual(['r-c', 'r-d']);
      expect(await ids({ createdTo: at('r-b') })).toEqual(['r-a']);
    });
  });
}
