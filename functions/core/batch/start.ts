import { TERMINAL_STATUSES, type JobRecord, type JobStore } from '../learning/jobs.js';
import { batchWindow, parseBatchParams, type BatchKind } from './params.js';

export type StartOutcome =
  | { started: true; job: JobRecord }
  /** A job of the same kind and window is queued or running: this start is refused. */
  | { started: false; job: JobRecord };

/** Runs of one window a job store keeps apart (`<kind>:<window>#<n>`): far more than anyone reruns a day. */
const MAX_RUNS_PER_WINDOW = 1000;

/**
 * Records a new batch job for `kind` and its window, or refuses when one is already queued or running for
 * that window. Keys are `<kind>:<window>#<n>`: the n-th run of a window; a finished run leaves room for the
 * next one (an export rerun replaces its files). The create is the job store's atomic conditional create, so
 * two starts at the same time create one job and the other is refused. Throws BatchParamsError for bad params.
 */
export async function startBatchJob(
  jobs: JobStore,
  input: { id: string; kind: BatchKind; params: Record<string, unknown>; now: Date; productionVersions?: Record<string, string> },
): Promise<StartOutcome> {
  const params = parseBatchParams(input.kind, input.params) as Record<string, unknown>;
  const base = `${input.kind}:${batchWindow(input.kind, params, input.now, input.productionVersions)}`;
  for (let n = 1; n <= MAX_RUNS_PER_WINDOW; n++) {
    const key = `${base}#${n}`;
    const existing = await jobs.byKey(key);
    if (existing && TERMINAL_STATUSES.has(existing.status)) continue;
    if (existing) return { started: false, job: existing };
    const { created, job } = await jobs.create({ id: input.id, kind: input.kind, key, params, now: input.now });
    if (created) return { started: true, job };
    if (!TERMINAL_STATUSES.has(job.status)) return { started: false, job };
  }
  throw new Error(`window ${base} has run ${MAX_RUNS_PER_WINDOW} times`);
}
