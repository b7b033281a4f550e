import type { Invoice } from '../invoice/invoice.js';
import { checkArithmetic } from './arithmetic.js';
import { ValidationConfigSchema, type ValidationContext } from './config.js';
import { checkCurrency } from './currency.js';
import { checkDates } from './dates.js';
import { checkDuplicates } from './duplicates.js';
import { checkIdentifiers } from './identifiers.js';
import { checkRequiredFields } from './required.js';
import type { ValidationResult } from './result.js';

/**
 * Runs every validation on an extracted invoice, in a fixed order (required fields, arithmetic, dates,
 * identifiers, currency, duplicates); a receipt is held to the fields a receipt has. Always returns one result per check code (see codes.ts), skipped checks
 * included, so the list has the same shape for every invoice. Pure; throws only a ZodError for an invalid
 * `ctx.config`.
 */
export function validateInvoice(invoice: Invoice, ctx: ValidationContext): ValidationResult[] {
  const config = ValidationConfigSchema.parse(ctx.config ?? {});
  return [
    checkRequiredFields(invoice, invoice.documentType === 'receipt' ? config.receiptRequiredFields : config.requiredFields),
    ...checkArithmetic(invoice, config.arithmetic),
    ...checkDates(invoice, ctx.now, config.dates),
    ...checkIdentifiers(invoice),
    ...checkCurrency(invoice),
    ...checkDuplicates(ctx.duplicates),
  ];
}
