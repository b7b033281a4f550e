/**
 * The local scheduler: runs jobs of each configured kind on its cron schedule (UTC) and resumes jobs that a
 * crashed process left behind. One job per kind and window: the job key is `<kind>:<scheduled time>`, created
 * with an atomic conditional create, so two schedulers (two `ledgerx serve` on one data dir) never run the
 * same window twice. Jobs run one at a time in this process, through the generic runner of
 * core/learning/jobs.ts (kind -> handler, checkpoints, leases).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Cron } from 'croner';
import { runJob, type JobHandler, type JobRecord, type JobStore, type RunOutcome } from '../core/learning/jobs.js';
import type { Clock, Logger } from '../core/ports.js';
import { errorFields, silentLogger } from './logger.js';

export interface LocalSchedulerOptions {
  jobs: JobStore;
  /** Job kind -> handler. */
  handlers: Readonly<Record<string, JobHandler>>;
  /** Job kind -> five-field cron expression (UTC); kinds without a handler are refused at start. */
  schedules: Readonly<Record<string, string>>;
  /** Parameters given to scheduled jobs of a kind. */
  params?: Readonly<Record<string, Record<string, unknown>>>;
  logger?: Logger;
  clock?: Clock;
  /** How often the scheduler looks at the clock and for abandoned jobs (default 30 s). */
  tickMs?: number;
  /** Job lease (default 30 minutes: training blocks the event loop between progress calls): a job whose owner stopped renewing it is resumed after this, or at once when its owner was a local process that is gone. */
  leaseMs?: number;
  owner?: string;
}

export interface LocalScheduler {
  /** One scheduling pass (also run by the timer): due windows are created and run, abandoned jobs resumed. */
  tick(): Promise<RunOutcome[]>;
  /** Stops the timer and waits for the running job to finish its current attempt. */
  stop(): Promise<void>;
}

/** The owner id of a local job runner: `<host>:<pid>:<random>`. */
export function localOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Whether a job's owner was a process on this machine that no longer runs (killed, crashed): its job is taken
 * over at once instead of after the lease.
 */
export function localOwnerIsGone(job: JobRecord): boolean {
  const m = /^(.+):(\d+):[0-9a-f]{8}$/.exec(job.owner ?? '');
  if (!m || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Starts the scheduler's timer; the first tick runs at once. Throws for an invalid cron expression or a kind without handler. */
export function startLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const log = (options.logger ?? silentLogger).child({ component: 'scheduler' });
  const clock = options.clock ?? { now: () => new Date() };
  const owner = options.owner ?? localOwner();
  const crons = Object.entries(options.schedules).map(([kind, expression]) => {
    if (!options.handlers[kind]) throw new Error(`schedule for job kind ${kind} has no handler`);
    return { kind, cron: new Cron(expression, { timezone: 'UTC', paused: true }) };
  });
  // Windows are due from the start on: a scheduler does not replay the windows it was not running for.
  let lastChecked = clock.now();
  let stopped = false;
  let running: Promise<RunOutcome[]> | null = null;

  async function pass(): Promise<RunOutcome[]> {
    const now = clock.now();
    const outcomes: RunOutcome[] = [];
    for (const { kind, cron } of crons) {
      // The latest window in (lastChecked, now]: missed windows in between collapse into one run.
      let due: Date | null = null;
      for (let next = cron.nextRun(lastChecked); next && next.getTime() <= now.getTime(); next = cron.nextRun(next)) due = next;
      if (!due) continue;
      const key = `${kind}:${due.toISOString()}`;
      const { created, job } = await options.jobs.create({ id: `job-${randomUUID()}`, kind, key, params: { ...options.params?.[kind], window: due.toISOString(), trigger: 'schedule' }, now });
      log.info(created ? 'scheduled job created' : 'scheduled job already exists', { jobKind: kind, jobId: job.id, window: due.toISOString() });
    }
    lastChecked = now;
    // Queued jobs and running ones whose lease expired (a crashed owner), oldest first.
    const candidates = [...(await options.jobs.list({ status: 'queued', limit: 20 })), ...(await options.jobs.list({ status: 'running', limit: 20 }))]
      .filter((j) => options.handlers[j.kind] && (j.status === 'queued' || (j.leaseUntil !== null && Date.parse(j.leaseUntil) <= now.getTime()) || localOwnerIsGone(j)))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const job of candidates) {
      if (stopped) break;
      outcomes.push(await runJob(job.id, { store: options.jobs, handlers: options.handlers, owner, log, now: () => clock.now(), leaseMs: options.leaseMs ?? 30 * 60_000, ownerIsGone: localOwnerIsGone }));
    }
    return outcomes;
  }

  const tick = (): Promise<RunOutcome[]> => {
    if (running) return running;
    running = pass()
      .catch((err: unknown) => {
        log.error('scheduler pass failed', errorFields(err));
        return [];
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => void tick(), options.tickMs ?? 30_000);
  timer.unref();
  void tick();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const { cron } of crons) cron.stop();
      if (running) await running;
    },
  };
}
