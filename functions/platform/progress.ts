import cliProgress from 'cli-progress';

export interface Progress {
  increment(): void;
  stop(): void;
}

/** A progress bar on stderr (stdout stays clean for --json); silent when stderr is not a terminal. */
export function createProgress(total: number, label: string, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled || total < 2) return { increment: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} invoices | {percentage}% | {duration_formatted} elapsed | eta {eta_formatted}`,
      hideCursor: true,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 2000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { increment: () => bar.increment(), stop: () => bar.stop() };
}
