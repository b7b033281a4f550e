import type { Invoice } from '../invoice/invoice.js';
import { outcome, round4, skipped } from './check.js';
import { ValidationCodes as C } from './codes.js';
import type { ValidationConfig } from './config.js';
import type { ValidationResult } from './result.js';

type Tolerance = ValidationConfig['arithmetic'];

/**
 * Whether the invoice is a credit note: declared as one, or with a negative total. Credit notes print their
 * amounts signed or unsigned inconsistently (a negative total over positive lines is common), so their
 * arithmetic is compared on absolute values.
 */
export function isCreditNote(invoice: Invoice): boolean {
  return invoice.documentType === 'credit_note' || (invoice.fields.total_amount?.value ?? 0) < 0;
}

/** Absorbs binary floating-point noise (1.21 - 1.19 = 0.0200000000000002). */
const EPSILON = 1e-9;

/** max(absolute tolerance, relative tolerance x the larger amount). */
export function toleranceFor(a: number, b: number, tol: Tolerance): number {
  return Math.max(tol.absTolerance, tol.relTolerance * Math.max(Math.abs(a), Math.abs(b)));
}

/**
 * The arithmetic checks, each only when its inputs exist (otherwise reported as skipped):
 * lines sum vs net (or vs total when the lines are gross), net + tax vs total, VAT lines vs total tax,
 * tax = base x rate per VAT line, amount due <= total; plus a sign check for negative "invoices".
 */
export function checkArithmetic(invoice: Invoice, tol: Tolerance): ValidationResult[] {
  const credit = isCreditNote(invoice);
  const f = invoice.fields;
  const cmp = (a: number, b: number) => {
    const x = credit ? Math.abs(a) : a;
    const y = credit ? Math.abs(b) : b;
    const tolerance = toleranceFor(x, y, tol);
    return { difference: round4(x - y), tolerance: round4(tolerance), ok: Math.abs(x - y) <= tolerance + EPSILON };
  };
  const results: ValidationResult[] = [];

  // A negative total filed as a plain invoice is a credit note in disguise: worth a look, not a block.
  const total = f.total_amount?.value;
  if (total === undefined) results.push(skipped(C.creditNoteSign, 'total_amount missing', ['total_amount']));
  else {
    const disguised = invoice.documentType === 'invoice' && total < 0;
    results.push(
      outcome(C.creditNoteSign, 'warning', !disguised,
        disguised ? 'negative total on a document typed as invoice' : 'document type consistent with the sign of the total',
        ['total_amount'], { creditNote: credit }),
    );
  }

  // Sum of line amounts vs net amount.
  const lines = invoice.line_items;
  const lineAmounts = lines.map((l) => l.amount?.value);
  if (lines.length === 0) results.push(skipped(C.linesSumNet, 'no line items', ['line_items']));
  else if (lineAmounts.some((a) => a === undefined)) {
    results.push(skipped(C.linesSumNet, 'some line items have no amount', ['line_items.amount']));
  } else if (f.net_amount === undefined && total === undefined) {
    results.push(skipped(C.linesSumNet, 'net_amount and total_amount missing', ['net_amount', 'total_amount']));
  } else {
    const sum = (lineAmounts as number[]).reduce((s, a) => s + a, 0);
    const vsNet = f.net_amount === undefined ? undefined : cmp(sum, f.net_amount.value);
    // Receipts and B2C invoices often list gross line amounts: lines = total is consistent too.
    const vsTotal = total === undefined ? undefined : cmp(sum, total);
    const ok = (vsNet?.ok ?? false) || (vsTotal?.ok ?? false);
    const shown = vsNet ?? vsTotal!;
    results.push(
      outcome(C.linesSumNet, 'warning', ok,
        ok ? 'line amounts add up' : `line amounts differ from ${vsNet ? 'net_amount' : 'total_amount'} by ${shown.difference}`,
        ['line_items.amount', vsNet ? 'net_amount' : 'total_amount'],
        { difference: shown.difference, tolerance: shown.tolerance, lineCount: lines.length, linesAreGross: !(vsNet?.ok ?? false) && ok, creditNote: credit }),
    );
  }

  // Net + tax vs total.
  const net = f.net_amount?.value;
  const tax = f.total_tax_amount?.value;
  if (net === undefined || tax === undefined || total === undefined) {
    const missing = (['net_amount', 'total_tax_amount', 'total_amount'] as const).filter((k) => f[k] === undefined);
    results.push(skipped(C.netTaxTotal, `${missing.join(', ')} missing`, ['net_amount', 'total_tax_amount', 'total_amount']));
  } else {
    const c = cmp(credit ? Math.abs(net) + Math.abs(tax) : net + tax, total);
    results.push(
      outcome(C.netTaxTotal, 'error', c.ok,
        c.ok ? 'net + tax = total' : `net_amount + total_tax_amount differs from total_amount by ${c.difference}`,
        ['net_amount', 'total_tax_amount', 'total_amount'], { difference: c.difference, tolerance: c.tolerance, creditNote: credit }),
    );
  }

  // Sum of VAT lines vs total tax.
  const vatTaxes = invoice.vat.map((v) => v.tax_amount?.value);
  if (invoice.vat.length === 0) results.push(skipped(C.vatLinesTax, 'no VAT breakdown', ['vat']));
  else if (vatTaxes.some((t) => t === undefined)) results.push(skipped(C.vatLinesTax, 'some VAT lines have no tax amount', ['vat.tax_amount']));
  else if (tax === undefined) results.push(skipped(C.vatLinesTax, 'total_tax_amount missing', ['total_tax_amount']));
  else {
    const sum = (vatTaxes as number[]).reduce((s, t) => s + (credit ? Math.abs(t) : t), 0);
    const c = cmp(sum, tax);
    results.push(
      outcome(C.vatLinesTax, 'warning', c.ok,
        c.ok ? 'VAT lines add up to total tax' : `VAT line taxes differ from total_tax_amount by ${c.difference}`,
        ['vat.tax_amount', 'total_tax_amount'], { difference: c.difference, tolerance: c.tolerance, vatLineCount: invoice.vat.length }),
    );
  }

  // tax = base x rate, per VAT line that has all three.
  const complete = invoice.vat.filter((v) => v.tax_rate && v.tax_amount && v.amount);
  if (complete.length === 0) results.push(skipped(C.vatLineRate, 'no VAT line with rate, base and tax', ['vat']));
  else {
    let failed = 0;
    let worst = 0;
    for (const v of complete) {
      const c = cmp(v.amount!.value * (v.tax_rate!.value / 100), v.tax_amount!.value);
      if (!c.ok) failed++;
      if (Math.abs(c.difference) > Math.abs(worst)) worst = c.difference;
    }
    results.push(
      outcome(C.vatLineRate, 'warning', failed === 0,
        failed === 0 ? 'every VAT line: tax = base x rate' : `${failed} VAT line(s): tax differs from base x rate (worst ${worst})`,
        ['vat.amount', 'vat.tax_rate', 'vat.tax_amount'], { checked: complete.length, failed, maxDifference: worst }),
    );
  }

  // Amount due <= total (partial prepayments lower it; more than the total means a misread or an add-on).
  const due = f.amount_due?.value;
  if (due === undefined || total === undefined) {
    results.push(skipped(C.amountDue, due === undefined ? 'amount_due missing' : 'total_amount missing', ['amount_due', 'total_amount']));
  } else {
    const tolerance = toleranceFor(due, total, tol);
    const excess = round4(Math.abs(due) - Math.abs(total));
    const ok = excess <= tolerance + EPSILON;
    results.push(
      outcome(C.amountDue, 'warning', ok,
        ok ? 'amount due within total' : `amount_due exceeds total_amount by ${excess}`,
        ['amount_due', 'total_amount'], { difference: excess, tolerance: round4(tolerance) }),
    );
  }
  return results;
}
