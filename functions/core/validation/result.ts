import { z } from 'zod';

/** One validation outcome. `code` is stable and machine-readable (e.g. `ARITH_TOTAL_MISMATCH`). */
export const ValidationResultSchema = z.object({
  code: z.string(),
  /** error: blocks approval; warning: needs a look; info: recorded only. */
  severity: z.enum(['error', 'warning', 'info']),
  passed: z.boolean(),
  message: z.string(),
  /** Fields the check looked at. */
  fields: z.array(z.string()).default([]),
  /** Numbers behind the verdict (differences, tolerances), never invoice text. */
  details: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).default({}),
});
export type ValidationResult = z.infer<typeof ValidationResultSchema>;
