/** The daily summary's document (summaries/<day>/summary.json). */
import { z } from 'zod';

const Rate = z.number().min(0).max(1);

/**
 * Drift and performance where monitoring is deployed: the latest drift check (verdict, when, the report page),
 * each production model's F1 at that check (realized on reviewed invoices, estimated over all predictions) and
 * the operations actions waiting; `configured: false` where there is no monitoring.
 */
export const MonitoringSectionSchema = z.discriminatedUnion('configured', [
  z.object({ configured: z.literal(false), note: z.literal('not configured') }),
  z.object({
    configured: z.literal(true),
    /** Null until a first drift check ran. */
    drift: z
      .object({
        reportId: z.string(),
        checkedAt: z.string(),
        window: z.object({ from: z.string(), to: z.string() }),
        verdict: z.enum(['ok', 'drift', 'not-enough-data', 'no-baseline']),
        driftedFeatures: z.number().int().nonnegative(),
        driftedShare: Rate,
        driftedScores: z.array(z.string()),
        report: z.object({ bucket: z.string(), name: z.string(), href: z.string().optional() }).nullable(),
      })
      .nullable(),
    performance: z.array(
      z.object({
        model: z.string(),
        version: z.string(),
        referenceF1: Rate.nullable(),
        realizedF1: Rate.nullable(),
        realizedRows: z.number().int().nonnegative(),
        estimatedF1: Rate.nullable(),
        estimatedRows: z.number().int().nonnegative(),
        below: z.object({ realized: z.boolean(), estimated: z.boolean() }),
      }),
    ),
    pendingActions: z.object({
      count: z.number().int().nonnegative(),
      items: z.array(z.object({ id: z.string(), type: z.string(), risk: z.string(), status: z.string(), subject: z.string(), createdAt: z.string() })),
    }),
  }),
]);
export type MonitoringSection = z.infer<typeof MonitoringSectionSchema>;

export const DailySummarySchema = z.object({
  day: z.string(),
  invoices: z.object({
    total: z.number(),
    byStatus: z.record(z.string(), z.number()),
    byDecision: z.record(z.string(), z.number()),
    byReason: z.record(z.string(), z.number()),
  }),
  ocrPages: z.object({ month: z.string(), pages: z.number(), budget: z.number().nullable(), share: z.number().nullable() }),
  monitoring: MonitoringSectionSchema,
  payables: z.object({
    /** Currency -> amount due within 7 days after the day (inclusive), and the number of invoices. */
    next7: z.record(z.string(), z.object({ amount: z.number(), invoices: z.number() })),
    next30: z.record(z.string(), z.object({ amount: z.number(), invoices: z.number() })),
    overdue: z.record(z.string(), z.object({ amount: z.number(), invoices: z.number() })),
  }),
  topSuppliers: z.array(z.object({ supplier: z.string(), currency: z.string(), spend: z.number(), invoices: z.number() })),
});
export type DailySummary = z.infer<typeof DailySummarySchema>;
