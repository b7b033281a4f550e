/**
 * A batch job interrupted half way, through the real CLI: `ledgerx batch run reprocess` in a child process is
 * killed (SIGKILL, then another job with SIGTERM) after some of its checkpoints, a second start of the same
 * window is refused while the job is unfinished, and `ledgerx batch resume` ends it from its checkpoint with
 * every invoice handled exactly once (one new revision each, one history entry per job).
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { jobMarker } from '../../functions/core/batch/revisions.js';
import type { JobRecord } from '../../functions/core/learning/jobs.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { tempDir } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';
import { ledgerx, LEDGERX_BIN } from '../helpers/cli.js';

const COUNT = 30;

describe('a batch job killed half way resumes from its checkpoint', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let data: string;

  beforeAll(async () => {
    const t = await tempDir('batch-restart');
    cleanup.push(t.dispose);
    const src = join(t.dir, 'src');
    data = join(t.dir, 'data');
    await generateCorpus({
      outDir: src, count: COUNT, seed: 5,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    const pdfs = (await readdir(src)).filter((f) => f.endsWith('.pdf'));
    expect(pdfs).toHaveLength(COUNT);
    const r = await ledgerx(['--data-dir', data, 'process', '--json', ...pdfs.map((f) => join(src, f))]);
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** Starts a reprocess in a child, waits until it checkpointed `atLeast` started revisions, and kills it with `signal`. */
  async function startAndKill(from: string, signal: NodeJS.Signals, atLeast: number): Promise<JobRecord> {
    const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', data, 'batch', 'run', 'reprocess', '--from', from, '--chunk', '2', '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const db = openLedgerDatabase(join(data, 'ledgerx.db'));
    const jobs = new SqliteJobStore(db);
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const job = (await jobs.list({ kind: 'reprocess', limit: 20 })).find((j) => (j.params as { from?: string }).from === from);
        if (job && (job.counts.started ?? 0) >= atLeast) {
          child.kill(signal);
          await exited;
          const after = (await jobs.get(job.id))!;
          // Killed half way: checkpointed work, not all of it.
          expect(after.status, stderr).toBe('running');
          expect(after.counts.started ?? 0).toBeLessThan(COUNT);
          return after;
        }
        if (Date.now() > deadline) throw new Error(`the job never reached ${atLeast} started revisions:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      db.close();
    }
  }

  async function revisionsOf(jobId: string): Promise<Array<{ revision: number; mine: number }>> {
    const db = openLedgerDatabase(join(data, 'ledgerx.db'));
    const store = new SqliteInvoiceStore(db);
    try {
      const out: Array<{ revision: number; mine: number }> = [];
      for await (const r of store.iterate()) {
        const history = await store.history(r.invoiceId);
        out.push({ revision: r.revision, mine: history.filter((h) => h.reason.includes(jobMarker(jobId))).length });
        expect(r.status).toBe('SCORED');
      }
      return out;
    } finally {
      db.close();
    }
  }

  it.each([
    ['SIGKILL', '2000-01-01', 2],
    ['SIGTERM', '2000-01-02', 3],
  ] as Array<[NodeJS.Signals, string, number]>)('%s half way, the same window refused, then resume: each invoice once', async (signal, from, expectedRevision) => {
    const killed = await startAndKill(from, signal, 6);

    const again = await ledgerx(['--data-dir', data, 'batch', 'run', 'reprocess', '--from', from, '--no-progress']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`already running: ${killed.id}`);

    const resumed = await ledgerx(['--data-dir', data, 'batch', 'resume', killed.id, '--json', '--no-progress']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const final = JSON.parse(resumed.stdout) as JobRecord;
    expect(final.status).toBe('succeeded');
    expect(final.attempts).toBe(2);
    expect((final.counts.started ?? 0) + (final.counts.alreadyStarted ?? 0)).toBe(COUNT);

    const revisions = await revisionsOf(killed.id);
    expect(revisions).toHaveLength(COUNT);
    expect(revisions.every((r) => r.revision === expectedRevision && r.mine === 1)).toBe(true);

    const list = await ledgerx(['--data-dir', data, 'batch', 'list', '--kind', 'reprocess']);
    expect(list.stdout).toContain(`${killed.id}\treprocess\tsucceeded`);
  }, 120_000);
});
