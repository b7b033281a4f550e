import cliProgress from 'cli-progress';

export interface JobProgress {
  /** `done` of `total` (a total is unknown for jobs that page through records: then the bar shows the count). */
  update(done: number, total: number | undefined, detail: string): void;
  stop(): void;
}

/** A progress bar on stderr for a batch job (stdout stays clean for --json); silent when stderr is not a terminal. */
export function createJobProgress(label: string, enabled = process.stderr.isTTY === true): JobProgress {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} | {detail} | {duration_formatted} elapsed`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, detail) {
      const t = Math.max(total ?? done, done, 1);
      if (!started) {
        bar.start(t, done, { detail });
        started = true;
      } else {
        bar.setTotal(t);
        bar.update(done, { detail });
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
