/**
 * Drift reports: one record per check of a window (the drift of every feature and score, the performance of
 * each model, the shares, the findings), behind the {@link DriftReportStore} port, and its HTML page (a chart
 * per drifted column) in a bucket.
 */
import { z } from 'zod';
import { DriftResultSchema } from './drift.js';
import { ModelPerformanceSchema, SharesSchema } from './performance.js';

const IsoTime = z.iso.datetime({ offset: true });

export const DriftReportSchema = z.object({
  id: z.string().min(1).max(100).regex(/^[\w.:-]+$/),
  createdAt: IsoTime,
  window: z.object({ from: IsoTime, to: IsoTime }),
  /** Production versions compared (name -> version) and where their baseline came from. */
  models: z.record(z.string(), z.string()),
  baseline: z.object({ model: z.string(), version: z.string(), source: z.enum(['training', 'metadata-summary']), rows: z.number().int() }).nullable(),
  status: z.enum(['ok', 'drift', 'not-enough-data', 'no-baseline']),
  drift: DriftResultSchema.nullable(),
  performance: z.array(ModelPerformanceSchema),
  shares: z.object({ current: SharesSchema, previous: SharesSchema, failed: z.object({ current: z.number(), previous: z.number(), currentRows: z.number().int(), previousRows: z.number().int() }).nullable() }),
  findingIds: z.array(z.string()),
  /** Where the HTML page is (a bucket object name). */
  html: z.object({ bucket: z.string(), name: z.string() }).nullable(),
  durationMs: z.number().nonnegative(),
});
export type DriftReport = z.infer<typeof DriftReportSchema>;

/** One line per report in lists (no per-column detail). */
export interface DriftReportSummary {
  id: string;
  createdAt: string;
  window: DriftReport['window'];
  status: DriftReport['status'];
  rows: number;
  driftedFeatures: number;
  driftedShare: number;
  driftedScores: string[];
  findingIds: string[];
}

export function summaryOf(r: DriftReport): DriftReportSummary {
  return {
    id: r.id, createdAt: r.createdAt, window: r.window, status: r.status, rows: r.drift?.rows ?? 0,
    driftedFeatures: r.drift?.driftedFeatures ?? 0, driftedShare: r.drift?.driftedShare ?? 0, driftedScores: r.drift?.driftedScores ?? [], findingIds: r.findingIds,
  };
}

/**
 * Drift report records. `put` is idempotent per id (the same window checked again replaces its report with
 * the same content); `list` is newest first (by createdAt, then id) and paged with an opaque cursor (an
 * invalid cursor throws).
 */
export interface DriftReportStore {
  put(report: DriftReport): Promise<void>;
  get(id: string): Promise<DriftReport | null>;
  list(query: { limit: number; cursor?: string | undefined }): Promise<{ items: DriftReportSummary[]; nextCursor?: string | undefined }>;
}

/** The report id of a window: `drift-<window end, compact>` (a re-run of one window is the same report). */
export function reportIdOf(windowEnd: Date): string {
  return `drift-${windowEnd.toISOString().replace(/[-:]/g, '').replace('.000', '')}`;
}
