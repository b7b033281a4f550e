/**
 * The batch job kinds and their parameters: one zod schema per kind, strict (an unknown key is refused), so
 * that a hostile or mistyped request from the CLI, Cloud Scheduler or an operator never reaches a handler.
 * A job's window (what makes two runs "the same job") is derived from its parsed parameters.
 */
import { z } from 'zod';

export const BATCH_KINDS = ['sweep', 'reprocess', 'backfill', 'export', 'summary', 'review-queue', 'docai-backlog'] as const;
export const BatchKindSchema = z.enum(BATCH_KINDS);
export type BatchKind = z.infer<typeof BatchKindSchema>;

/** An object-name prefix: relative, no `..` segment, no control characters, bounded. */
export const PrefixSchema = z
  .string()
  .max(200)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && ![...p].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || c === '\\'), 'prefix must be a relative object-name prefix without `..`, backslashes or control characters');

export const DaySchema = z.iso.date();
const Instant = z.iso.datetime({ offset: true });

/** Common to every kind: who asked (recorded with the job) and the scheduler's window, when scheduled. */
const Common = {
  trigger: z.enum(['cli', 'schedule', 'http']).default('cli'),
  /** Set by a scheduler: the scheduled time this job belongs to. */
  window: Instant.optional(),
  /** Invoices handled between two checkpoints (and, locally, in flight at a time). */
  chunk: z.number().int().min(1).max(1000).default(100),
};

export const SweepParamsSchema = z.strictObject({
  ...Common,
  /** Only inbox objects under this prefix (inside the pipeline's inbox prefix). */
  prefix: PrefixSchema.default(''),
  /** A record in RECEIVED, OCR_DONE or FEATURES_DONE not updated for this long is stuck. */
  stuckAfterMinutes: z.number().int().min(0).max(7 * 24 * 60).default(30),
  /** An inbox object younger than this may still have its event in flight: left to the normal path. */
  graceMinutes: z.number().int().min(0).max(24 * 60).default(10),
  /** FAILED invoices listed in the job's result (the count is always complete). */
  failedListLimit: z.number().int().min(0).max(10_000).default(200),
  /**
   * Only inbox objects updated in the last this many hours are checked for a record, and only the invoices that
   * failed within them are listed: an hourly sweep then costs reads in proportion to the new uploads and
   * failures, not to the whole inbox (about 2.4M Firestore reads a day at 100,000 objects otherwise) or every
   * FAILED invoice ever. Older objects and failures are covered by the full sweep.
   */
  lookbackHours: z.number().int().min(1).max(24 * 366).default(48),
  /**
   * Check every inbox object, whatever its age. Unset: full when the sweep's window is the first hour of the
   * week (Monday 00:00-00:59 UTC), so the hourly schedule makes one full sweep a week with no extra job.
   */
  full: z.boolean().optional(),
});

export const ReprocessParamsSchema = z
  .strictObject({
    ...Common,
    /** Uploads whose object name starts with this prefix. */
    prefix: PrefixSchema.optional(),
    /** Invoices received on or after this day (UTC) ... */
    from: DaySchema.optional(),
    /** ... and on or before this day (UTC). */
    to: DaySchema.optional(),
    reason: z.string().min(1).max(200).default('extraction or feature change'),
  })
  .refine((p) => p.prefix !== undefined || p.from !== undefined || p.to !== undefined, 'reprocess needs --prefix or a date range (--from/--to)')
  .refine((p) => !p.from || !p.to || p.from <= p.to, '--from must not be after --to');

export const BackfillParamsSchema = z.strictObject({
  ...Common,
  /** Only invoices received on or after this day (UTC). */
  from: DaySchema.optional(),
});

export const ExportParamsSchema = z.strictObject({
  ...Common,
  /** The UTC day whose invoices are exported (default: the day before the window or now). */
  day: DaySchema.optional(),
});

export const SummaryParamsSchema = z.strictObject({
  ...Common,
  /** The UTC day summarized (default: the day before the window or now). */
  day: DaySchema.optional(),
  /** Document AI pages budgeted per month (the summary compares this month's pages with it). */
  pageBudget: z.number().int().min(0).max(1e9).optional(),
  /** Suppliers listed by spend. */
  topSuppliers: z.number().int().min(1).max(100).default(10),
});

/** Indexes records written before the review-queue index existed (InvoiceStore.backfillReviewQueue), `chunk` per page. */
export const ReviewQueueParamsSchema = z.strictObject({ ...Common });
export const DocaiBacklogParamsSchema = z.strictObject({
  ...Common,
  /** Inbox objects under this prefix (inside the pipeline's inbox prefix); default the configured backlog prefix. */
  prefix: PrefixSchema.optional(),
  /** Stop after this many files (the rest is left for the next run). */
  maxFiles: z.number().int().min(1).max(1_000_000).optional(),
  /** Files per Document AI batch request (Document AI takes at most 5,000). */
  filesPerRequest: z.number().int().min(1).max(5000).default(1000),
  /** Batch requests in flight at once (the project quota is 5 concurrent batch requests, shared with ocr). */
  inFlight: z.number().int().min(1).max(5).default(3),
  /** Document AI pages budgeted per month; the job submits nothing that would go beyond it. */
  pageBudget: z.number().int().min(0).max(1e9).optional(),
});

export const BATCH_PARAMS = {
  sweep: SweepParamsSchema,
  reprocess: ReprocessParamsSchema,
  backfill: BackfillParamsSchema,
  export: ExportParamsSchema,
  summary: SummaryParamsSchema,
  'review-queue': ReviewQueueParamsSchema,
  'docai-backlog': DocaiBacklogParamsSchema,
} as const;

export type SweepParams = z.infer<typeof SweepParamsSchema>;
export type ReprocessParams = z.infer<typeof ReprocessParamsSchema>;
export type BackfillParams = z.infer<typeof BackfillParamsSchema>;
export type ExportParams = z.infer<typeof ExportParamsSchema>;
export type SummaryParams = z.infer<typeof SummaryParamsSchema>;
export type DocaiBacklogParams = z.infer<typeof DocaiBacklogParamsSchema>;

/** Thrown for parameters a kind refuses; `issues` lists every problem. */
export class BatchParamsError extends Error {
  override readonly name = 'BatchParamsError';
}

/** Parses `params` for `kind`, listing every problem at once. Throws BatchParamsError. */
export function parseBatchParams<K extends BatchKind>(kind: K, params: unknown): z.infer<(typeof BATCH_PARAMS)[K]> {
  const parsed = BATCH_PARAMS[kind].safeParse(params ?? {});
  if (!parsed.success) throw new BatchParamsError(parsed.error.issues.map((i) => `${i.path.join('.') || kind}: ${i.message}`).join('; '));
  return parsed.data as z.infer<(typeof BATCH_PARAMS)[K]>;
}

/** Whether a sweep checks every inbox object: its `full` flag, else the first hour of the week (UTC) of its window. */
export function isFullSweep(params: Pick<SweepParams, 'full' | 'window'>): boolean {
  if (params.full !== undefined) return params.full;
  if (!params.window) return false;
  const at = new Date(params.window);
  return at.getUTCDay() === 1 && at.getUTCHours() === 0;
}

/** The day before `at` (UTC): what a nightly job handles by default. */
export function previousDay(at: Date): string {
  return new Date(at.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** The UTC day an export or summary covers: its `day`, else the day before its window (or `now`). */
export function dayOf(params: { day?: string | undefined; window?: string | undefined }, now: Date): string {
  return params.day ?? previousDay(params.window ? new Date(params.window) : now);
}

/**
 * What makes two jobs of a kind the same work: one sweep per prefix (and scheduled hour), one reprocess per
 * prefix and date range, one backfill per production model set, one export and one summary per day, one
 * review-queue indexing at a time. Two
 * starts of the same window while one is queued or running: the second is refused.
 */
export function batchWindow(kind: BatchKind, params: Record<string, unknown>, now: Date, productionVersions?: Record<string, string>): string {
  switch (kind) {
    case 'sweep': {
      const p = parseBatchParams('sweep', params);
      return `prefix=${p.prefix}${isFullSweep(p) ? ';full' : ''}${p.window ? `@${p.window.slice(0, 13)}` : ''}`;
    }
    case 'reprocess': {
      const p = parseBatchParams('reprocess', params);
      return `prefix=${p.prefix ?? ''};from=${p.from ?? ''};to=${p.to ?? ''}`;
    }
    case 'backfill': {
      const p = parseBatchParams('backfill', params);
      const models = Object.entries(productionVersions ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([n, v]) => `${n}@${v}`).join(',');
      return `models=${models};from=${p.from ?? ''}`;
    }
    case 'export':
      return `day=${dayOf(parseBatchParams('export', params), now)}`;
    case 'summary':
      return `day=${dayOf(parseBatchParams('summary', params), now)}`;
    case 'review-queue':
      parseBatchParams('review-queue', params);
      return 'all';
    case 'docai-backlog':
      return `prefix=${parseBatchParams('docai-backlog', params).prefix ?? ''}`;
  }
}
