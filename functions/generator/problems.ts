import { addDays } from './locale.js';
import { recomputeTotals, units, type InvoiceModel, type OmittableField } from './invoice-model.js';
import type { Rng } from './rng.js';
import type { ProblemRates } from './schemas.js';
import { corruptIban, corruptVatId, type VatCountry } from './tax-ids.js';

/** Draws for the problems that shape an invoice before it is built (its date and size). */
export interface PreBuildProblems {
  futureDate: boolean;
  unusualAmount: boolean;
}

export function drawPreBuildProblems(rng: Rng, rates: ProblemRates): PreBuildProblems {
  return { futureDate: rng.chance(rates.futureDate), unusualAmount: rng.chance(rates.unusualAmount) };
}

/**
 * Applies the content problems drawn from `rates` to a built invoice and records each in `model.problems`.
 * The model afterwards describes what is printed; nothing here touches files.
 */
export function injectContentProblems(rng: Rng, model: InvoiceModel, rates: ProblemRates): void {
  if (rng.chance(rates.missingField)) {
    const field: OmittableField = rng.pick(['invoice_id', 'invoice_date', 'total_amount'] as const);
    model.omit.add(field);
    model.problems.push({ type: 'missing-field', field, details: {} });
  }
  if (rng.chance(rates.arithmetic)) {
    if (rng.chance(0.5) && model.lines.length > 0) {
      const index = rng.int(0, model.lines.length - 1);
      const line = model.lines[index]!;
      const expected = line.amountCents;
      const delta = Math.max(1, Math.round(expected * rng.float(0.02, 0.3))) * (rng.chance(0.5) ? 1 : -1);
      line.amountCents = expected + delta === 0 ? expected + 100 : expected + delta;
      model.problems.push({
        type: 'line-sum-mismatch',
        field: 'net_amount',
        details: { lineIndex: index, expectedLineAmount: units(expected), printedLineAmount: units(line.amountCents) },
      });
    } else {
      const delta = Math.max(1, Math.round(model.totalCents * rng.float(0.005, 0.1))) * (rng.chance(0.5) ? 1 : -1);
      model.problems.push({
        type: 'total-mismatch',
        field: 'total_amount',
        details: { expected: units(model.totalCents), printed: units(model.totalCents + delta) },
      });
    }
  }
  if (model.supplier.taxIdKind === 'vat' && rng.chance(rates.invalidVatId)) {
    model.supplierTaxId = corruptVatId(rng, model.supplierTaxId, model.supplier.country as VatCountry);
    model.problems.push({ type: 'invalid-vat-id', field: 'supplier_tax_id', details: {} });
  }
  if (model.iban && rng.chance(rates.invalidIban)) {
    model.iban = corruptIban(rng, model.iban);
    model.problems.push({ type: 'invalid-iban', field: 'supplier_iban', details: {} });
  }
  if (rng.chance(rates.dueBeforeIssue)) {
    const days = rng.int(1, 30);
    model.dueDate = addDays(model.issueDate, -days);
    model.problems.push({ type: 'due-before-issue', field: 'due_date', details: { daysBefore: days } });
  }
}

/**
 * A near-duplicate of `original`: same supplier and receiver, a new number, a few days later, unit prices
 * moved by under 1 % so that the total stays within 1 %.
 */
export function nearDuplicateOf(rng: Rng, original: InvoiceModel, seq: number, invoiceId: string, of: string): InvoiceModel {
  const days = rng.int(1, 6);
  const factor = 1 + (rng.chance(0.5) ? 1 : -1) * rng.float(0.001, 0.008);
  const model: InvoiceModel = {
    ...original,
    seq,
    invoiceId,
    issueDate: addDays(original.issueDate, days),
    dueDate: addDays(original.dueDate, days),
    lines: original.lines.map((l) => {
      const unitCents = Math.max(1, Math.round(l.unitCents * factor));
      return { ...l, unitCents, amountCents: Math.round(l.quantity * unitCents) };
    }),
    omit: new Set(),
    problems: [],
    supplierTaxId: original.supplier.taxId,
    iban: original.supplier.iban,
    prepaidCents: 0,
    stamp: undefined,
  };
  recomputeTotals(model);
  const ratio = Math.abs(model.totalCents / Math.max(1, original.totalCents) - 1);
  if (ratio > 0.01) {
    // Rounding on tiny invoices can push past 1 %; keep the prices then (only the number and date differ).
    model.lines = original.lines.map((l) => ({ ...l, amountCents: Math.round(l.quantity * l.unitCents) }));
    recomputeTotals(model);
  }
  model.problems.push({
    type: 'near-duplicate',
    of,
    details: { daysApart: days, totalRatio: Math.round((model.totalCents / Math.max(1, original.totalCents)) * 1e6) / 1e6 },
  });
  return model;
}

