import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeBadFile, type BadFileType } from './bad-files.js';
import { buildCiiXml, CII_PROFILE } from './einvoice/cii.js';
import { buildInvoice, cloneModel, type InvoiceModel, type OmittableField } from './invoice-model.js';
import type { LayoutId } from './layout-ids.js';
import { addDays, type Language } from './locale.js';
import { invoiceNumber, makeReceiver, makeSupplier, type Party, type Supplier } from './parties.js';
import { drawPreBuildProblems, injectContentProblems, nearDuplicateOf } from './problems.js';
import { renderInvoicePdf } from './render/pdf.js';
import { degradeToScan, drawDegradations } from './render/scan.js';
import { Rng } from './rng.js';
import {
  GenerateOptionsSchema,
  ManifestSchema,
  ProblemRatesSchema,
  type Degradations,
  type DocumentKind,
  type GenerateOptions,
  type Manifest,
  type ManifestEntry,
  type ProblemRates,
  type ResolvedOptions,
} from './schemas.js';
import { printInvoice, truthOf } from './truth.js';

const NO_PROBLEMS: ProblemRates = ProblemRatesSchema.parse({
  missingField: 0, arithmetic: 0, invalidVatId: 0, invalidIban: 0, futureDate: 0, dueBeforeIssue: 0,
  unusualAmount: 0, exactDuplicate: 0, businessDuplicate: 0, nearDuplicate: 0, badFile: 0,
});

interface Generated {
  entry: ManifestEntry;
  model?: InvoiceModel;
  bytes: Uint8Array;
}

/** Choices for one new invoice; anything left out is drawn from the document's Rng. */
export interface NewInvoiceSpec {
  kind?: Exclude<DocumentKind, 'bad-file'>;
  language?: Language;
  layout?: LayoutId;
  /** Problems to force (in addition to none drawn): */
  force?: {
    missing?: OmittableField;
    arithmetic?: 'line-sum-mismatch' | 'total-mismatch';
    invalidVatId?: boolean;
    invalidIban?: boolean;
    futureDate?: boolean;
    dueBeforeIssue?: boolean;
    unusualAmount?: boolean;
  };
  scan?: Partial<Degradations>;
  /** Draw problems from these rates (default: none). */
  rates?: ProblemRates;
}

/**
 * Writes invoices into a folder and keeps the manifest entries. `generateCorpus` drives it with random
 * decisions; `generateDemoSet` with fixed ones. Every method is deterministic given its Rng.
 */
export class CorpusBuilder {
  readonly suppliers: Supplier[];
  readonly receivers: Party[];
  readonly history: Generated[] = [];
  private readonly sequences = new Map<string, number>();
  private readonly supplierWeights: Record<string, number>;

  constructor(
    readonly outDir: string,
    readonly opts: Pick<ResolvedOptions, 'seed' | 'asOf' | 'spanDays' | 'supplierCount' | 'receiverCount' | 'scanFormats' | 'languages'>,
  ) {
    const root = new Rng(opts.seed);
    this.suppliers = [];
    for (let k = 0; this.suppliers.length < opts.supplierCount && k < opts.supplierCount * 60; k++) {
      const s = makeSupplier(root.fork(`supplier-${k}`), this.suppliers.length);
      if (!opts.languages || opts.languages.includes(s.language)) this.suppliers.push(s);
    }
    if (this.suppliers.length === 0) throw new Error('no supplier matches the requested languages');
    this.receivers = Array.from({ length: opts.receiverCount }, (_, i) => makeReceiver(root.fork(`receiver-${i}`), i));
    // A few suppliers send most invoices, as in any accounts-payable inbox (Zipf-like).
    this.supplierWeights = Object.fromEntries(this.suppliers.map((s, i) => [s.id, 1 / (i + 1) ** 0.8]));
  }

  private supplierById(id: string): Supplier {
    return this.suppliers.find((s) => s.id === id)!;
  }

  private nextSeq(rng: Rng, supplier: Supplier): number {
    const seq = (this.sequences.get(supplier.id) ?? supplier.firstSequence) + rng.int(1, 3);
    this.sequences.set(supplier.id, seq);
    return seq;
  }

  private pickSupplier(rng: Rng, language?: Language): Supplier {
    if (language) {
      const candidates = this.suppliers.filter((s) => s.language === language);
      if (candidates.length > 0) return rng.pick(candidates);
    }
    return this.supplierById(rng.weighted(this.supplierWeights));
  }

  private async write(file: string, bytes: Uint8Array): Promise<{ sha256: string; sizeBytes: number }> {
    await writeFile(path.join(this.outDir, file), bytes);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length };
  }

  /** Renders `model` as `kind` and records it. */
  private async emit(rng: Rng, baseName: string, model: InvoiceModel, kind: Exclude<DocumentKind, 'bad-file'>, layout: LayoutId, scan?: Partial<Degradations>): Promise<Generated> {
    const printed = printInvoice(model);
    const truth = truthOf(model, printed);
    const when = new Date(`${model.issueDate}T09:00:00Z`);
    let bytes: Uint8Array;
    let file: string;
    let mimeType: string;
    let degradations: Degradations | undefined;
    if (kind === 'einvoice-xml') {
      bytes = new TextEncoder().encode(buildCiiXml(model));
      file = `${baseName}.xml`;
      mimeType = 'application/xml';
      truth.printed = {};
    } else {
      const facturX = kind === 'einvoice-pdf' ? { xml: buildCiiXml(model), profile: CII_PROFILE } : undefined;
      const pdf = await renderInvoicePdf(model, printed, { layout, facturX });
      if (kind === 'scan') {
        degradations = { ...drawDegradations(rng, this.opts.scanFormats), ...scan };
        const out = await degradeToScan(rng, pdf, degradations, when);
        bytes = out.bytes;
        file = `${baseName}.${out.extension}`;
        mimeType = out.mimeType;
      } else {
        bytes = pdf;
        file = `${baseName}.pdf`;
        mimeType = 'application/pdf';
      }
    }
    const entry: ManifestEntry = {
      file,
      kind,
      mimeType,
      ...(await this.write(file, bytes)),
      language: model.supplier.language,
      layout: kind === 'einvoice-xml' ? undefined : layout,
      supplierId: model.supplier.id,
      receiverId: model.receiver.id,
      numberFormat: model.supplier.numberFormat,
      dateStyle: model.supplier.dateStyle,
      einvoiceProfile: kind === 'einvoice-pdf' || kind === 'einvoice-xml' ? CII_PROFILE : undefined,
      truth,
      problems: model.problems,
      degradations,
    };
    const generated = { entry, model, bytes };
    this.history.push(generated);
    return generated;
  }

  /** A new invoice from a (drawn or given) supplier, with forced and drawn problems. */
  async newInvoice(rng: Rng, baseName: string, spec: NewInvoiceSpec = {}): Promise<ManifestEntry> {
    const kind = spec.kind ?? 'born-digital';
    const supplier = this.pickSupplier(rng, spec.language);
    const receiver = rng.pick(this.receivers);
    const rates = spec.rates ?? NO_PROBLEMS;
    // Missing header fields would make an e-invoice schema-invalid, which is a different test case.
    const contentRates = kind.startsWith('einvoice') ? { ...rates, missingField: 0 } : rates;
    const pre = drawPreBuildProblems(rng, rates);
    const future = spec.force?.futureDate ?? pre.futureDate;
    const unusual = spec.force?.unusualAmount ?? pre.unusualAmount;
    const issueDate = future ? addDays(this.opts.asOf, rng.int(5, 120)) : addDays(this.opts.asOf, -rng.int(0, this.opts.spanDays));
    const { min, max } = supplier.amountRange;
    const targetNet = unusual ? max * rng.float(8, 15) : Math.exp(rng.float(Math.log(min), Math.log(max)));
    const model = buildInvoice(rng, { supplier, receiver, seq: this.nextSeq(rng, supplier), issueDate, targetNet });
    if (future) model.problems.push({ type: 'future-date', field: 'invoice_date', details: { daysAfterAsOf: Math.round((Date.parse(issueDate) - Date.parse(this.opts.asOf)) / 86_400_000) } });
    if (unusual) model.problems.push({ type: 'unusual-amount', field: 'total_amount', details: { typicalMax: max, factor: Math.round((targetNet / max) * 10) / 10 } });
    const f = spec.force ?? {};
    injectContentProblems(rng, model, {
      ...contentRates,
      missingField: f.missing ? 0 : contentRates.missingField,
      arithmetic: f.arithmetic ? 0 : contentRates.arithmetic,
      invalidVatId: f.invalidVatId ? 1 : contentRates.invalidVatId,
      invalidIban: f.invalidIban ? 1 : contentRates.invalidIban,
      dueBeforeIssue: f.dueBeforeIssue ? 1 : contentRates.dueBeforeIssue,
    });
    if (f.missing) {
      model.omit.add(f.missing);
      model.problems.push({ type: 'missing-field', field: f.missing, details: {} });
    }
    if (f.arithmetic) forceArithmetic(rng, model, f.arithmetic);
    const layout = spec.layout ?? supplier.layout;
    return (await this.emit(rng, baseName, model, kind, layout, spec.scan)).entry;
  }

  /** The same bytes as an earlier document, under a new name. */
  async exactDuplicate(baseName: string, of: Generated): Promise<ManifestEntry> {
    const ext = path.extname(of.entry.file);
    const file = `${baseName}${ext}`;
    const entry: ManifestEntry = {
      ...of.entry,
      file,
      ...(await this.write(file, of.bytes)),
      problems: [...of.entry.problems, { type: 'exact-duplicate', of: of.entry.file, details: {} }],
    };
    this.history.push({ entry, bytes: of.bytes, model: of.model });
    return entry;
  }

  /** The same invoice (supplier and number) re-rendered: a stamped copy, or a scan of it. */
  async businessDuplicate(rng: Rng, baseName: string, of: Generated, kind?: 'born-digital' | 'scan'): Promise<ManifestEntry> {
    const model = cloneModel(of.model!);
    const k = kind ?? (rng.chance(0.5) ? 'scan' : 'born-digital');
    if (k === 'born-digital') model.stamp = { en: 'COPY', de: 'KOPIE', fr: 'DUPLICATA' }[model.supplier.language];
    model.problems.push({ type: 'business-duplicate', of: of.entry.file, details: {} });
    return (await this.emit(rng, baseName, model, k, of.entry.layout ?? model.supplier.layout)).entry;
  }

  /** Same supplier, total within 1 %, a few days later, a new number. */
  async nearDuplicate(rng: Rng, baseName: string, of: Generated, kind?: Exclude<DocumentKind, 'bad-file'>): Promise<ManifestEntry> {
    const original = of.model!;
    const seq = this.nextSeq(rng, original.supplier);
    const days = rng.int(1, 6);
    const id = invoiceNumber(original.supplier.numberPattern, addDays(original.issueDate, days), seq);
    const model = nearDuplicateOf(rng, original, seq, id, of.entry.file);
    const k = kind ?? (of.entry.kind === 'einvoice-xml' ? 'born-digital' : of.entry.kind === 'bad-file' ? 'born-digital' : of.entry.kind);
    return (await this.emit(rng, baseName, model, k, of.entry.layout ?? model.supplier.layout)).entry;
  }

  async badFile(rng: Rng, baseName: string, type: BadFileType, emptyExtension?: string): Promise<ManifestEntry> {
    const bad = await makeBadFile(rng, type, async () => {
      const supplier = this.pickSupplier(rng);
      const model = buildInvoice(rng, { supplier, receiver: rng.pick(this.receivers), seq: this.nextSeq(rng, supplier), issueDate: addDays(this.opts.asOf, -rng.int(0, this.opts.spanDays)), targetNet: supplier.amountRange.min });
      return renderInvoicePdf(model, printInvoice(model), { layout: supplier.layout });
    }, emptyExtension);
    const file = `${baseName}.${bad.extension}`;
    const entry: ManifestEntry = { file, kind: 'bad-file', mimeType: bad.mimeType, ...(await this.write(file, bad.bytes)), problems: [], badFile: type, expectedReject: bad.expectedReject };
    this.history.push({ entry, bytes: bad.bytes });
    return entry;
  }

  /** Earlier documents that can be duplicated (invoices that are not themselves duplicates). */
  originals(): Generated[] {
    return this.history.filter((g) => g.model && !g.entry.problems.some((p) => p.of !== undefined));
  }

  manifest(count: number): Manifest {
    return ManifestSchema.parse({
      schemaVersion: 1,
      generator: 'ledgerx-generator',
      seed: this.opts.seed,
      asOf: this.opts.asOf,
      count,
      suppliers: this.suppliers.map((s) => ({
        id: s.id, name: s.name, country: s.country, language: s.language, currency: s.currency, taxId: s.taxId, iban: s.iban,
        layout: s.layout, numberFormat: s.numberFormat, dateStyle: s.dateStyle, moneyStyle: s.moneyStyle, amountRange: s.amountRange,
      })),
      receivers: this.receivers.map((r) => ({ id: r.id, name: r.name, country: r.country, taxId: r.taxId })),
      documents: this.history.map((g) => g.entry),
    });
  }
}

function forceArithmetic(rng: Rng, model: InvoiceModel, type: 'line-sum-mismatch' | 'total-mismatch'): void {
  const only = { ...NO_PROBLEMS, arithmetic: 1 };
  // Draw until the requested variant comes up; each draw is a fair coin, so this ends quickly.
  for (let i = 0; i < 64; i++) {
    const trial = cloneModel(model);
    injectContentProblems(rng, trial, only);
    if (trial.problems.at(-1)?.type === type) {
      Object.assign(model, trial);
      return;
    }
  }
  throw new Error(`could not inject ${type}`);
}

/**
 * Generates a seeded, reproducible corpus of invoices into `options.outDir` and writes `manifest.json`
 * there with every document's truth, injected problems, degradations and expected reject reasons.
 * Same options (same seed) give the same manifest and, for PDFs and XML, the same bytes.
 * Throws on invalid options (zod) or when the folder cannot be written.
 */
export async function generateCorpus(options: GenerateOptions): Promise<Manifest> {
  const o = GenerateOptionsSchema.parse(options);
  await mkdir(o.outDir, { recursive: true });
  const builder = new CorpusBuilder(o.outDir, o);
  const root = new Rng(o.seed);
  const r = o.problemRates;
  const width = Math.max(5, String(o.count).length);
  const kindWeights = { 'born-digital': o.mix.bornDigital, scan: o.mix.scan, 'einvoice-pdf': o.mix.einvoicePdf, 'einvoice-xml': o.mix.einvoiceXml } as const;
  for (let i = 0; i < o.count; i++) {
    const rng = root.fork(`doc-${i}`);
    const name = `${o.filePrefix}${String(i + 1).padStart(width, '0')}`;
    const originals = builder.originals();
    const x = rng.next();
    const cut = [r.badFile, r.exactDuplicate, r.businessDuplicate, r.nearDuplicate].reduce<number[]>((acc, v) => [...acc, (acc.at(-1) ?? 0) + v], []);
    if (x < cut[0]!) await builder.badFile(rng, name, rng.pick(['zero-byte', 'truncated-pdf', 'non-invoice-image', 'unsupported-type'] as const));
    else if (x < cut[1]! && originals.length > 0) await builder.exactDuplicate(name, rng.pick(originals));
    else if (x < cut[2]! && originals.length > 0) await builder.businessDuplicate(rng, name, rng.pick(originals), o.mix.scan > 0 ? undefined : 'born-digital');
    else if (x < cut[3]! && originals.length > 0) await builder.nearDuplicate(rng, name, rng.pick(originals));
    else await builder.newInvoice(rng, name, { kind: rng.weighted(kindWeights), rates: r });
    o.onProgress?.(i + 1, o.count);
  }
  const manifest = builder.manifest(o.count);
  await writeFile(path.join(o.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

