import type { Command } from 'commander';
import type { z } from 'zod';
import { CorrectionValueSchemas, recordReview, REVIEW_NOTE_MAX, ReviewConflictError, ReviewLabelSchema } from '../../core/learning/review-labels.js';
import { SqliteInvoiceStore } from '../../adapters/local/sqlite/invoice-store.js';
import { ConflictError, UsageError } from '../errors.js';
import { actorOf, cliLogger, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

const AMOUNT = new Set(['net_amount', 'total_tax_amount', 'total_amount', 'amount_due']);

/** `field=value` pairs; amounts are numbers (a decimal comma is accepted). Throws UsageError for a malformed pair. */
export function parseCorrections(pairs: readonly string[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`corrections are field=value, not "${pair.slice(0, 80)}"`);
    const field = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    if (Object.hasOwn(out, field)) throw new UsageError(`field ${field.slice(0, 60)} is corrected twice`);
    if (AMOUNT.has(field)) {
      const n = Number(raw.replace(/\s/g, '').replace(',', '.'));
      if (!Number.isFinite(n) || raw === '') throw new UsageError(`${field} must be a number, not "${raw.slice(0, 40)}"`);
      out[field] = n;
    } else {
      out[field] = raw;
    }
  }
  return out;
}

function describe(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'label'}: ${i.message}`).join('; ');
}

/**
 * `ledgerx review <invoice> approve|reject|correct [field=value...]`: records a review label (who, when, the
 * decision, corrected fields, a note, the model versions and revision judged). `correct` = approve with
 * corrections. `ledgerx review <invoice> history` prints every review of the invoice.
 */
export function define(command: Command, common: () => CommonOptions): void {
  command
    .argument('<invoice>', 'invoice id (inv_...)')
    .argument('<action>', 'approve, reject, correct or history')
    .argument('[corrections...]', 'corrected fields as field=value (e.g. total_amount=119.00 invoice_date=2025-03-01)')
    .option('--note <text>', `a note for the record (at most ${REVIEW_NOTE_MAX} characters)`)
    .option('--reviewer <id>', 'who reviews (default: LEDGERX_ACTOR or the OS user)')
    .option('--revision <n>', 'the record revision judged (default: the current one)')
    .option('--json', 'print the stored label as JSON')
    .action(async (invoiceId: string, action: string, pairs: string[], opts: { note?: string; reviewer?: string; revision?: string; json?: boolean }) => {
      if (!['approve', 'reject', 'correct', 'history'].includes(action)) throw new UsageError(`action must be approve, reject, correct or history, not "${action.slice(0, 40)}"`);
      if (invoiceId.length > 300 || !/^[\w.:@-]+$/.test(invoiceId)) throw new UsageError('invoice ids hold letters, digits and _ . : @ - only');
      const base = common();
      const logger = cliLogger(base, 'review');
      const learning = await openLearning(base, logger);
      try {
        const store = new SqliteInvoiceStore(learning.db, { now: () => new Date() });
        const record = await store.get(invoiceId);
        if (!record) throw new UsageError(`unknown invoice ${invoiceId}`);
        if (action === 'history') {
          for (const r of await learning.labels.history(invoiceId)) {
            process.stdout.write(opts.json ? JSON.stringify(r) + '\n' : `${r.seq}\t${r.reviewedAt}\t${r.reviewer}\trev ${r.revision}\t${r.decision}\t${Object.keys(r.corrections).join(',') || '-'}\t${r.current ? 'current' : 'replaced'}\n`);
          }
          return;
        }
        if (action === 'correct' && pairs.length === 0) throw new UsageError('correct needs at least one field=value');
        const corrections = parseCorrections(pairs);
        const unknown = Object.keys(corrections).filter((f) => !Object.hasOwn(CorrectionValueSchemas, f));
        if (unknown.length > 0) throw new UsageError(`unknown field ${unknown.map((f) => f.slice(0, 60)).join(', ')} (known: ${Object.keys(CorrectionValueSchemas).join(', ')})`);
        const revision = opts.revision === undefined ? record.revision : Number(opts.revision);
        if (!Number.isInteger(revision) || revision < 1 || revision > record.revision) throw new UsageError(`--revision must be an integer in 1..${record.revision}`);
        const parsed = ReviewLabelSchema.safeParse({
          invoiceId, revision, reviewer: actorOf(opts.reviewer), reviewedAt: new Date().toISOString(),
          decision: action === 'reject' ? 'reject' : 'approve', corrections, ...(opts.note !== undefined ? { note: opts.note } : {}),
          modelVersions: record.decision?.modelVersions ?? {},
        });
        if (!parsed.success) throw new UsageError(`invalid review: ${describe(parsed.error)}`);
        let stored;
        try {
          stored = await recordReview({ labels: learning.labels, store }, parsed.data);
        } catch (err) {
          // The API's 409 ALREADY_REVIEWED: one reviewer per revision, whichever way the first review came in.
          if (!(err instanceof ReviewConflictError)) throw err;
          const h = err.holder;
          throw new ConflictError(`already reviewed: ${invoiceId} revision ${revision} was reviewed by ${h.reviewer} at ${h.reviewedAt} (${h.decision}); one reviewer per revision, nothing stored`);
        }
        const { replaced, label, unchanged } = stored;
        logger.info('review recorded', { invoiceId, revision, decision: label.decision, corrected: Object.keys(label.corrections).length, replaced, unchanged });
        process.stdout.write(opts.json ? JSON.stringify({ replaced, unchanged, label }) + '\n' : `${invoiceId} rev ${revision}: ${label.decision}${Object.keys(label.corrections).length ? ` with ${Object.keys(label.corrections).join(', ')} corrected` : ''}${replaced ? ' (replaces your earlier review)' : ''}${unchanged ? ' (already recorded: unchanged)' : ''}\n`);
      } finally {
        learning.close();
      }
    });
}
