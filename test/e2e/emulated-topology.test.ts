/**
 * The deployed topology, emulated on one machine (test/helpers/topology.ts): every function is its deployed
 * bundle (dist/functions/<name>) in its own process under the functions-framework runner, configured by the
 * environment Terraform sets; uploads reach ocr as Cloud Storage notifications through Pub/Sub push
 * subscriptions with dead-letter policies, like every other hop; ocr calls Document AI through the real client,
 * answered by a fake Document AI gRPC server (saved real responses from ../shared/data/docai-samples, or
 * responses built from the files' text layer). Every message is delivered twice (two push subscriptions per
 * topic): each upload must still end as one SCORED record and one invoice-scored message.
 *
 * Cases: generated invoices; a Factur-X PDF whose embedded XML wins over what Document AI answers; standalone
 * UBL and CII XML that never reach Document AI; a poison upload (Document AI fails it every time) that ends in
 * the dead letters with its reason and its invoice FAILED, listed and replayed with `ledgerx ... --cloud`, and
 * then SCORED; the Document AI pages counted for `ledgerx usage --cloud`.
 *
 * Needs the Cloud SDK's Pub/Sub and Firestore emulators (Java) and the bundles (`npm run build`); skips with a
 * message when the emulators are absent. Run: npm run build && npx vitest run test/e2e/emulated-topology.test.ts
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalOcrEngine } from '../../functions/adapters/local/ocr/index.js';
import type { DeadLetter } from '../../functions/core/messages.js';
import { generateCorpus, type Manifest } from '../../functions/generator/index.js';
import { emulatorAvailable } from '../helpers/emulators.js';
import { documentFromOcr, savedDocument, sha256Of } from '../helpers/fake-documentai.js';
import { tempDir } from '../helpers/runtime.js';
import { DEAD_LETTER_HOLD, REPO, startTopology, type Topology } from '../helpers/topology.js';
import { NO_PROBLEMS } from '../helpers/corpus.js';

const run = promisify(execFile);
const available = emulatorAvailable('pubsub') && emulatorAvailable('firestore');
if (!available) console.warn('emulated-topology: skipped, the Cloud SDK Pub/Sub and Firestore emulators are not installed');

const MAX_ATTEMPTS = 5;
const LIMITS = { maxPages: 15, maxBytes: 40 * 1024 * 1024, timeoutMs: 60_000, languages: ['eng'] };

describe.skipIf(!available)('emulated GCP topology: function bundles, push subscriptions with dead letters, Pub/Sub and Firestore emulators, Cloud Storage test server, fake Document AI', () => {
  let topology: Topology;
  const cleanup: Array<() => Promise<void>> = [];
  let samples: string;
  let manifest: Manifest;
  const text = createLocalOcrEngine({ ocr: false });

  /** `ledgerx` (the built CLI) against the emulated project. */
  async function ledgerx(args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [join(REPO, 'bin/ledgerx.mjs'), ...args], {
      env: { ...process.env, ...topology.env, LEDGERX_DEAD_LETTER_SUBSCRIPTION: DEAD_LETTER_HOLD },
      maxBuffer: 1 << 24,
    });
    return stdout;
  }

  /** Document AI answers this PDF with what its text layer says (as the Invoice Parser would read it). */
  async function answerFromTextLayer(bytes: Uint8Array): Promise<void> {
    const doc = await text.recognize({ bytes, fileName: 'x.pdf' }, LIMITS);
    topology.docai.answer(sha256Of(bytes), { document: documentFromOcr(doc) });
  }

  beforeAll(async () => {
    const dir = await tempDir('e2e-topology');
    cleanup.push(dir.dispose);
    samples = dir.dir;
    manifest = await generateCorpus({
      outDir: samples, count: 6, seed: 4242,
      mix: { bornDigital: 1, scan: 0, einvoicePdf: 1, einvoiceXml: 0 },
      problemRates: NO_PROBLEMS,
    });
    topology = await startTopology({ copies: 2, maxDeliveryAttempts: MAX_ATTEMPTS });
    cleanup.push(() => topology.close());
  });
  afterAll(async () => {
    await text.close();
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  const invoiceCalls = () => topology.docai.calls.length;
  const failure = (label: string) => (error: unknown) => {
    const logs = Object.values(topology.functions).map((f) => `--- ${f!.name}\n${f!.output().slice(-4000)}`).join('\n');
    throw new Error(`${label}: ${String(error)}\n${logs}`);
  };

  it('takes generated PDFs (read by Document AI) to SCORED, and a Factur-X PDF from its XML whatever Document AI says', async () => {
    const plain = manifest.documents.filter((d) => d.kind === 'born-digital').slice(0, 2);
    const facturX = manifest.documents.find((d) => d.kind === 'einvoice-pdf')!;
    const uploads: Array<{ invoiceId: string; truth: NonNullable<(typeof plain)[number]['truth']>; einvoice: boolean }> = [];
    for (const doc of plain) {
      const bytes = new Uint8Array(await readFile(join(samples, doc.file)));
      await answerFromTextLayer(bytes);
      const { invoiceId } = await topology.upload(`inbox/2025/06/30/${doc.file}`, bytes, 'application/pdf');
      uploads.push({ invoiceId, truth: doc.truth!, einvoice: false });
    }
    // Document AI reads the Factur-X PDF as another invoice (a saved real response when the shared data is
    // there, else a response with the wrong number and total): the embedded XML must still win.
    const fxBytes = new Uint8Array(await readFile(join(samples, facturX.file)));
    const misleading = savedDocument('toolbox/toolbox_invoice_test-0.json') ?? {
      text: 'INVOICE\nInvoice No. WRONG-0001\nTotal due 9,999.99 EUR\n', mimeType: 'application/pdf',
      pages: [{ pageNumber: 1, dimension: { width: 612, height: 792, unit: 'points' } }],
      entities: [{ type: 'invoice_id', mentionText: 'WRONG-0001', confidence: 0.99 }, { type: 'total_amount', mentionText: '9,999.99', confidence: 0.99 }],
    };
    topology.docai.answer(sha256Of(fxBytes), { document: misleading });
    const fx = await topology.upload(`inbox/2025/06/30/${facturX.file}`, fxBytes, 'application/pdf');
    uploads.push({ invoiceId: fx.invoiceId, truth: facturX.truth!, einvoice: true });

    const statuses = await topology.waitFor(uploads.map((u) => u.invoiceId), ['SCORED', 'REJECTED', 'FAILED']);
    await Promise.resolve(expect(statuses).toEqual(uploads.map(() => 'SCORED'))).catch(failure('statuses'));
    expect(topology.docai.calls.filter((c) => c.name !== '').every((c) => c.name === topology.env.LEDGERX_DOCAI_PROCESSOR_VERSION)).toBe(true);
    for (const u of uploads) {
      const record = await topology.invoices.get(u.invoiceId);
      expect(record?.invoice?.fields.invoice_id?.value, u.invoiceId).toBe(u.truth.fields.invoice_id);
      expect(record?.invoice?.fields.total_amount?.value).toBeCloseTo(u.truth.fields.total_amount!, 2);
      expect(record?.invoice?.extraction.method).toBe(u.einvoice ? 'einvoice' : 'ocr');
      expect(record?.pageCount).toBe(1);
      expect(record?.decision?.decision).toMatch(/^(APPROVE|REVIEW|REJECT)$/);
      // The production models were loaded from the models bucket.
      expect(record?.decision?.basis).toBe('models+rules');
    }
    // Every message arrived twice: still one record per upload and one invoice-scored per invoice.
    const scored = (await topology.drain('scored-observer')) as Array<{ invoiceId: string }>;
    expect(scored.map((m) => m.invoiceId).sort()).toEqual(uploads.map((u) => u.invoiceId).sort());
  });

  it('reads standalone UBL and CII XML without Document AI, to SCORED from the XML', async () => {
    const before = invoiceCalls();
    const ids: string[] = [];
    for (const name of ['ubl-invoice.xml', 'cii-d16b-invoice.xml']) {
      const bytes = new Uint8Array(await readFile(join(REPO, 'test/fixtures/einvoice', name)));
      ids.push((await topology.upload(`inbox/2025/06/30/${name}`, bytes, 'application/xml')).invoiceId);
    }
    const statuses = await topology.waitFor(ids, ['SCORED', 'REJECTED', 'FAILED']);
    await Promise.resolve(expect(statuses).toEqual(['SCORED', 'SCORED'])).catch(failure('statuses'));
    for (const id of ids) {
      const record = await topology.invoices.get(id);
      expect(record?.invoice?.extraction.method).toBe('einvoice');
      expect(record?.mimeType).toBe('application/xml');
      expect(record?.invoice?.fields.invoice_id?.value).toBeTruthy();
    }
    expect(invoiceCalls()).toBe(before);
  });

  it('dead-letters a poison upload with its reason after the last delivery attempt, marks it FAILED, and a replay finishes it', async () => {
    const doc = manifest.documents.filter((d) => d.kind === 'born-digital')[2]!;
    const bytes = new Uint8Array(await readFile(join(samples, doc.file)));
    topology.docai.answer(sha256Of(bytes), { error: { code: 13, message: 'Internal error encountered.' } });
    const { invoiceId } = await topology.upload(`inbox/2025/06/30/poison-${doc.file}`, bytes, 'application/pdf');

    const [status] = await topology.waitFor([invoiceId], ['FAILED', 'SCORED', 'REJECTED'], 90_000);
    await Promise.resolve(expect(status).toBe('FAILED')).catch(failure('poison'));
    const failed = await topology.invoices.get(invoiceId);
    expect(failed?.rejection?.code).toBe('DOCAI_13');
    expect(failed?.rejection?.message).toMatch(/Internal error encountered.*gave up after 5 delivery attempts/);
    // Each of the two subscriptions tried it MAX_ATTEMPTS times, no more (an attempt that found the other one's
    // claim in progress did not call Document AI).
    const calls = topology.docai.calls.filter((c) => c.sha256 === sha256Of(bytes)).length;
    expect(calls).toBeGreaterThanOrEqual(MAX_ATTEMPTS);
    expect(calls).toBeLessThanOrEqual(2 * MAX_ATTEMPTS);

    // The two subscriptions' last attempts end at different moments: list until the held entries stop changing.
    const list = async () => (await ledgerx(['dead-letters', 'list', '--cloud', '--json'])).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as DeadLetter & { id: string; source: string });
    let listed = await list();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1_500));
      const again = await list();
      if (again.length === listed.length) break;
      listed = again;
    }
    const mine = listed.filter((e) => e.invoiceId === invoiceId);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.map((e) => e.code)).toContain('DOCAI_13');
    for (const entry of mine) {
      expect(entry).toMatchObject({ source: 'handler', topic: 'object-finalized', attempts: MAX_ATTEMPTS });
      // The other subscription's last attempt may have met this one's claim instead of Document AI.
      expect(['DOCAI_13', 'IDEMPOTENCY_IN_PROGRESS']).toContain(entry.code);
    }
    // Listing leaves them held.
    expect((await ledgerx(['dead-letters', 'list', '--cloud', '--json'])).trim().split('\n')).toHaveLength(listed.length);

    // The cause is fixed (Document AI reads the file again), then the dead letters are replayed.
    await answerFromTextLayer(bytes);
    expect(await ledgerx(['dead-letters', 'replay', '--cloud', '--invoice', invoiceId])).toMatch(new RegExp(`^replayed ${mine.length} dead letters`));
    const [after] = await topology.waitFor([invoiceId], ['SCORED', 'REJECTED'], 90_000);
    await Promise.resolve(expect(after).toBe('SCORED')).catch(failure('replay'));
    expect((await topology.invoices.get(invoiceId))?.invoice?.fields.invoice_id?.value).toBe(doc.truth!.fields.invoice_id);
    expect((await ledgerx(['dead-letters', 'list', '--cloud'])).trim()).toBe('no dead letters');
  });

  it('counts every page Document AI read in the monthly usage, shown by `ledgerx usage --cloud`', async () => {
    const answered = topology.docai.calls.filter((c) => c.answered).reduce((sum, c) => sum + c.pages, 0);
    expect(answered).toBeGreaterThanOrEqual(4);
    const rows = (await ledgerx(['usage', '--cloud', '--json'])).trim().split('\n').map((l) => JSON.parse(l) as { month: string; pages: number });
    expect(rows).toEqual([{ month: new Date().toISOString().slice(0, 7), pages: answered }]);
  });
});
