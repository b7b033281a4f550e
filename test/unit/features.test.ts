import { describe, expect, it } from 'vitest';
import { computeFeatures, FEATURE_NAMES, FEATURE_SCHEMA, FEATURE_SCHEMA_VERSION, featureArray } from '../../functions/core/features/schema.js';
import type { FeatureInput } from '../../functions/core/features/input.js';
import type { Invoice } from '../../functions/core/invoice/invoice.js';
import type { OcrDocument, Page } from '../../functions/core/ocr-document.js';
import type { ValidationResult } from '../../functions/core/validation/result.js';

const box = { x: 0, y: 0, w: 0.1, h: 0.02 };

function page(pageNumber: number, confidences: number[], quality: Page['quality'], textSource: Page['textSource'] = 'ocr'): Page {
  return {
    pageNumber,
    width: 595,
    height: 842,
    textSource,
    languages: ['deu'],
    quality,
    lines: [{ text: confidences.map(() => 'ab').join(' '), box, confidence: 0.9, tokens: confidences.map((c) => ({ text: 'ab', box, confidence: c })) }],
  };
}

function doc(pages: Page[]): OcrDocument {
  return {
    schemaVersion: 1,
    mimeType: 'application/pdf',
    text: 'abcd efgh\nij\fklmn op',
    pages,
    entities: [],
    embeddedFiles: [],
    engine: { name: 'test', version: '0' },
    elapsedMs: 1,
  };
}

const f = <T>(value: T, confidence = 0.9) => ({ value, confidence, source: 'layout' as const });

function invoice(): Invoice {
  return {
    documentType: 'invoice',
    fields: {
      invoice_id: f('A-1', 0.8),
      invoice_date: f('2024-03-01', 0.6),
      due_date: f('2024-03-31'),
      supplier_name: f('Acme', 1),
      supplier_iban: f('DE89370400440532013000'),
      currency: f('EUR', 0.9),
      net_amount: f(100),
      total_tax_amount: f(19),
      total_amount: f(Math.E - 1, 0.7),
      amount_due: f((Math.E - 1) / 2),
    },
    line_items: [{ amount: f(100) }],
    vat: [],
    extraction: { method: 'ocr', warnings: ['w1', 'w2'], dateOrderEvidence: 'ambiguous' },
  };
}

const v = (code: string, severity: ValidationResult['severity'], passed: boolean, skipped = false): ValidationResult => ({
  code, severity, passed, message: '', fields: [], details: skipped ? { skipped: true, reason: 'x' } : {},
});

function input(overrides: Partial<FeatureInput> = {}): FeatureInput {
  return {
    doc: doc([
      page(1, [0.9, 0.5, 1, 0.3, 0.8, 0.95, 0.7, 0.6, 0.99, 0.85], { blurVariance: Math.E - 1, skewDegrees: -2, effectiveDpi: 200, contrast: 0.4, score: 0.5 }),
      page(2, [1, 1], { blurVariance: 300, skewDegrees: 1, effectiveDpi: 300, contrast: 0.6, score: 0.9 }),
    ]),
    invoice: invoice(),
    validations: [
      v('REQUIRED_FIELDS', 'error', true),
      v('ARITH_NET_TAX_TOTAL', 'error', false),
      v('ARITH_LINES_NET', 'warning', true),
      v('ARITH_VAT_LINES_TAX', 'info', true, true),
      v('DATE_NOT_FUTURE', 'error', true),
      v('DATE_PLAUSIBLE', 'warning', false),
      v('VAT_ID_SUPPLIER', 'info', true, true),
      v('IBAN_CHECKSUM', 'error', true),
    ],
    history: { count: 4, meanLogAmount: 0.5, stdLogAmount: 0.25, lastInvoiceDate: '2024-02-01', distinctIbans: 1, ibanSeenBefore: false },
    duplicates: { contentHash: 0, businessKey: 1, near: 2 },
    fileSizeBytes: 4096,
    now: new Date('2024-03-11T12:00:00Z'),
    ...overrides,
  };
}

describe('feature schema', () => {
  it('is named, versioned and well-formed', () => {
    expect(FEATURE_SCHEMA_VERSION).toMatch(/^inv-features-v\d+$/);
    expect(FEATURE_SCHEMA.length).toBeGreaterThanOrEqual(45);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    for (const d of FEATURE_SCHEMA) {
      expect(d.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(d.description.length).toBeGreaterThan(5);
      expect(d.description).not.toContain('\n');
      expect(['numeric', 'binary', 'count']).toContain(d.kind);
    }
    expect(new Set(FEATURE_SCHEMA.map((d) => d.group))).toEqual(
      new Set(['ocr', 'image', 'layout', 'fields', 'extraction', 'validation', 'amounts', 'history', 'duplicates', 'dates']),
    );
  });

  it('keeps a stable order (changing it needs a version bump)', () => {
    expect(FEATURE_NAMES.slice(0, 6)).toEqual(['ocr_conf_mean', 'ocr_conf_p10', 'ocr_conf_min', 'ocr_low_conf_share', 'ocr_token_count', 'is_scanned']);
    expect(FEATURE_NAMES.at(-1)).toBe('days_invoice_to_now');
    expect(Object.keys(computeFeatures(input()))).toEqual(FEATURE_NAMES);
  });

  it('computes every feature, as a finite number or NaN', () => {
    const features = computeFeatures(input());
    for (const name of FEATURE_NAMES) {
      const x = features[name]!;
      expect(typeof x, name).toBe('number');
      expect(Number.isNaN(x) || Number.isFinite(x), name).toBe(true);
    }
    const kinds = Object.fromEntries(FEATURE_SCHEMA.map((d) => [d.name, d.kind]));
    for (const [name, x] of Object.entries(features)) {
      if (Number.isNaN(x)) continue;
      if (kinds[name] === 'binary') expect([0, 1], name).toContain(x);
      if (kinds[name] === 'count') expect(Number.isInteger(x) && x >= 0, name).toBe(true);
    }
    // The hand-built input has every group's inputs, so only absent fields' confidences are missing.
    expect(FEATURE_NAMES.filter((n) => Number.isNaN(features[n]!))).toEqual(['val_vat_id_valid', 'val_currency_ok']);
  });

  it('computes the expected values on a hand-built input', () => {
    const x = computeFeatures(input());
    expect(x.ocr_token_count).toBe(12);
    expect(x.ocr_conf_mean).toBeCloseTo((0.9 + 0.5 + 1 + 0.3 + 0.8 + 0.95 + 0.7 + 0.6 + 0.99 + 0.85 + 2) / 12, 10);
    expect(x.ocr_conf_p10).toBe(0.5); // sorted: 0.3, 0.5, ... index floor(0.1 * 11) = 1
    expect(x.ocr_conf_min).toBe(0.3);
    expect(x.ocr_low_conf_share).toBeCloseTo(2 / 12, 10);
    expect(x.is_scanned).toBe(1);
    expect(x.img_quality_min).toBe(0.5);
    expect(x.img_quality_mean).toBeCloseTo(0.7, 10);
    expect(x.img_blur_log_min).toBeCloseTo(1, 10);
    expect(x.img_skew_abs_max).toBe(2);
    expect(x.img_dpi_min).toBe(200);
    expect(x.img_contrast_min).toBe(0.4);
    expect(x.page_count).toBe(2);
    expect(x.chars_per_page).toBe(8); // 16 non-whitespace characters over 2 pages
    expect(x.lines_per_page).toBe(1);
    expect(x.file_kb_per_page).toBe(2);
    expect(x.has_invoice_id).toBe(1);
    expect(x.has_supplier_tax_id).toBe(0);
    expect(x.conf_invoice_date).toBe(0.6);
    expect(x.key_fields_present_share).toBe(1);
    expect(x.key_fields_conf_mean).toBeCloseTo((0.8 + 0.6 + 1 + 0.7 + 0.9) / 5, 10);
    expect(x.key_fields_conf_min).toBe(0.6);
    expect(x.is_einvoice).toBe(0);
    expect(x.extraction_warning_count).toBe(2);
    expect(x.date_order_ambiguous).toBe(1);
    expect(x.val_error_count).toBe(1);
    expect(x.val_warning_count).toBe(1);
    expect(x.val_skipped_count).toBe(2);
    expect(x.val_required_ok).toBe(1);
    expect(x.val_arith_ok).toBe(0);
    expect(x.val_dates_ok).toBe(0);
    expect(x.val_iban_valid).toBe(1);
    expect(x.log_total).toBeCloseTo(1, 10);
    expect(x.tax_rate_effective).toBeCloseTo(0.19, 10);
    expect(x.line_item_count).toBe(1);
    expect(x.vat_line_count).toBe(0);
    expect(x.amount_due_ratio).toBeCloseTo(0.5, 10);
    expect(x.is_credit_note).toBe(0);
    expect(x.supplier_invoice_count).toBe(4);
    expect(x.supplier_amount_z).toBeCloseTo(2, 10); // (1 - 0.5) / 0.25
    expect(x.supplier_days_since_last).toBe(29);
    expect(x.supplier_new_iban).toBe(1);
    expect(x.supplier_distinct_ibans).toBe(1);
    expect(x.dup_content_hash_count).toBe(0);
    expect(x.dup_business_key_count).toBe(1);
    expect(x.dup_near_count).toBe(2);
    expect(x.days_invoice_to_due).toBe(30);
    expect(x.days_invoice_to_now).toBe(10);
    expect(featureArray(x)).toHaveLength(FEATURE_NAMES.length);
  });

  it('reports missing inputs as NaN: text layer, e-invoice, new supplier, empty invoice', () => {
    const inv = invoice();
    inv.fields = {};
    inv.line_items = [];
    inv.extraction = { method: 'einvoice', warnings: [] };
    const x = computeFeatures(
      input({
        doc: { ...doc([]), text: '' },
        invoice: inv,
        validations: [],
        history: { count: 0, meanLogAmount: 0, stdLogAmount: 0, distinctIbans: 0, ibanSeenBefore: false },
        duplicates: { contentHash: 0, businessKey: 0, near: 0 },
      }),
    );
    for (const n of ['ocr_conf_mean', 'ocr_conf_p10', 'img_quality_min', 'img_blur_log_min', 'chars_per_page', 'file_kb_per_page',
      'conf_invoice_id', 'key_fields_conf_mean', 'val_arith_ok', 'log_total', 'tax_rate_effective', 'amount_due_ratio',
      'supplier_amount_z', 'supplier_days_since_last', 'days_invoice_to_due', 'days_invoice_to_now']) {
      expect(x[n], n).toBeNaN();
    }
    expect(x.is_einvoice).toBe(1);
    expect(x.is_scanned).toBe(0);
    expect(x.page_count).toBe(0);
    expect(x.key_fields_present_share).toBe(0);
    expect(x.supplier_new_iban).toBe(0);

    const textLayer = computeFeatures(input({ doc: doc([page(1, [1, 1, 1], null, 'text-layer')]) }));
    expect(textLayer.is_scanned).toBe(0);
    expect(textLayer.img_quality_min).toBeNaN();
    expect(textLayer.ocr_conf_mean).toBe(1);
  });

  it('uses the absolute total for credit notes and a reported quality score without measures', () => {
    const inv = invoice();
    inv.fields.total_amount = f(-(Math.E - 1));
    const docai = { ...page(1, [0.9], null, 'docai'), reportedQuality: { score: 0.4, defects: { blurry: 0.7 } } };
    const x = computeFeatures(input({ invoice: inv, doc: doc([docai]) }));
    expect(x.is_scanned).toBe(1);
    expect(x.is_credit_note).toBe(1);
    expect(x.log_total).toBeCloseTo(1, 10);
    expect(x.img_quality_min).toBe(0.4);
    expect(x.img_dpi_min).toBeNaN();
  });
});
