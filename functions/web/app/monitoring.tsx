/**
 * Monitoring: the latest drift report (verdict, drifted columns, its HTML page) and the drifted share over the
 * report history, the models' realized and estimated performance, the operations log with its pending actions
 * (admins approve or reject them), batch jobs with their progress, and Document AI pages of the month. Each
 * section reads its own route; a deployment without it (404) or a runtime without it (501) gets "not
 * available" there and the rest of the page works.
 *
 * The response shapes are the server's own types, imported as types only: nothing of the server enters the
 * bundle (esbuild drops `import type`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BatchKind } from '../../core/batch/params.js';
import type { JobRecord } from '../../core/learning/jobs.js';
import type { ColumnDrift } from '../../core/monitoring/drift.js';
import type { Finding, OpsAction } from '../../core/monitoring/ops.js';
import type { Metrics, ModelPerformance } from '../../core/monitoring/performance.js';
import type { DriftReport, DriftReportSummary } from '../../core/monitoring/report.js';
import { api, apiObjectUrl, ApiError, can, optional, type Me } from './api.js';
import { percent, when } from './words.js';

/** What `GET /v1/jobs` shows of a job (params, checkpoint and result stay on the server). */
type JobView = Pick<JobRecord, 'id' | 'kind' | 'key' | 'status' | 'counts' | 'attempts' | 'errors' | 'createdAt' | 'startedAt' | 'updatedAt' | 'finishedAt' | 'cancelRequested'>;
type Loaded<T> = { state: 'loading' } | { state: 'missing' } | { state: 'error'; message: string } | { state: 'ok'; value: T };

function useOptional<T>(path: string, version = 0): Loaded<T> {
  const [s, set] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    const ctrl = new AbortController();
    optional<T>(path, ctrl.signal).then(
      (v) => set(v === null ? { state: 'missing' } : { state: 'ok', value: v }),
      (err: Error) => !ctrl.signal.aborted && set({ state: 'error', message: err.message }),
    );
    return () => ctrl.abort();
  }, [path, version]);
  return s;
}

function Section({ id, title, loaded, children }: { id: string; title: string; loaded: Loaded<unknown>; children?: preact.ComponentChildren }) {
  return (
    <section aria-labelledby={id} class="monitor" data-section={id}>
      <h2 id={id}>{title}</h2>
      {loaded.state === 'loading' && <p class="empty">Loading…</p>}
      {loaded.state === 'missing' && <p class="empty" data-testid="not-available">Not available in this deployment.</p>}
      {loaded.state === 'error' && <p class="error">{loaded.message}</p>}
      {loaded.state === 'ok' && children}
    </section>
  );
}

const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '–' : v.toFixed(digits));

/** A line chart of values in [0, 1] over time: hand-written SVG (no chart library, no inline style). */
export function ShareChart({ points, label }: { points: Array<{ at: string; value: number }>; label: string }) {
  if (points.length < 2) return <p class="muted">One report so far: the chart needs two.</p>;
  const W = 600, H = 180, L = 40, P = 20;
  const t0 = Date.parse(points[0]!.at), t1 = Date.parse(points.at(-1)!.at);
  const x = (at: string) => L + ((Date.parse(at) - t0) * (W - L - P)) / Math.max(1, t1 - t0);
  const y = (v: number) => H - P - v * (H - 2 * P);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${label} from ${when(points[0]!.at)} to ${when(points.at(-1)!.at)}: ${points.map((p) => percent(p.value)).join(', ')}`}>
        <line class="axis" x1={L} y1={H - P} x2={W - P} y2={H - P} />
        <line class="axis" x1={L} y1={P} x2={L} y2={H - P} />
        {[0, 0.5, 1].map((v) => <text class="tick" x={4} y={y(v) + 4}>{percent(v)}</text>)}
        <polyline class="series s0" points={points.map((p) => `${x(p.at)},${y(p.value)}`).join(' ')} />
        {points.map((p) => <circle class="dot s0" cx={x(p.at)} cy={y(p.value)} r={3} />)}
      </svg>
      <figcaption>{label}, {when(points[0]!.at)} to {when(points.at(-1)!.at)}</figcaption>
    </figure>
  );
}

const VERDICT: Record<DriftReport['status'], { text: string; cls: string }> = {
  drift: { text: 'Drift detected', cls: 'reject' },
  ok: { text: 'No drift', cls: 'approve' },
  'not-enough-data': { text: 'Not enough data', cls: 'review' },
  'no-baseline': { text: 'No baseline to compare with', cls: 'review' },
};

/** How far past its threshold a column is: a test by its p-value (small samples), a distance by its statistic. */
const strength = (c: ColumnDrift) => (c.pValue !== null ? c.threshold / Math.max(c.pValue, 1e-12) : c.statistic / c.threshold);

function ColumnRows({ columns }: { columns: ColumnDrift[] }) {
  return (
    <>
      {columns.map((c) => (
        <tr key={c.name} data-feature={c.name}>
          <th scope="row">{c.name}</th>
          <td>{c.method}</td>
          <td class="num">{num(c.statistic)}</td>
          <td class="num">{c.pValue === null ? `> ${num(c.threshold)}` : `p < ${c.threshold}`}</td>
          <td class="num">{c.pValue === null ? '–' : c.pValue.toExponential(1)}</td>
          <td class="num">{num(c.referenceMean)} → {num(c.currentMean)}</td>
        </tr>
      ))}
    </>
  );
}

/** Drifted columns listed on the page; the HTML report has every column with its chart. */
const SHOWN_COLUMNS = 15;

/** The report's HTML page needs the bearer credential: fetched once and offered as an object URL. */
function HtmlReportLink({ id }: { id: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const ctrl = new AbortController();
    let made: string | null = null;
    apiObjectUrl(`/v1/drift/reports/${encodeURIComponent(id)}/html`, ctrl.signal).then(
      (u) => {
        made = u;
        setUrl(u);
      },
      () => !ctrl.signal.aborted && setFailed(true),
    );
    return () => {
      ctrl.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [id]);
  if (failed) return <span class="muted">(its HTML page is not available)</span>;
  if (!url) return <span class="muted">(preparing the HTML report…)</span>;
  return <a href={url} target="_blank" rel="noopener" data-testid="html-report">Open the full report (charts per column)</a>;
}

function LatestReport({ id }: { id: string }) {
  const report = useOptional<DriftReport>(`/v1/drift/reports/${encodeURIComponent(id)}`);
  if (report.state !== 'ok') return report.state === 'loading' ? <p class="empty">Loading the latest report…</p> : <p class="error">The latest report could not be read.</p>;
  const r = report.value;
  const verdict = VERDICT[r.status];
  const features = r.drift?.features ?? [];
  const drifted = features.filter((f) => f.drifted).sort((a, b) => strength(b) - strength(a));
  const scores = r.drift?.scores.filter((s) => s.drifted) ?? [];
  return (
    <div data-testid="latest-report">
      <p>
        <span class={`badge ${verdict.cls}`} data-testid="verdict">{verdict.text}</span>{' '}
        {r.drift && (
          <strong data-testid="drifted-share">
            {r.drift.driftedFeatures} of {features.length} features drifted ({percent(r.drift.driftedShare)})
          </strong>
        )}
      </p>
      <p class="muted">
        Window {when(r.window.from)} to {when(r.window.to)}, {r.drift?.rows ?? 0} predictions
        {r.baseline && <> against the training data of {r.baseline.model} {r.baseline.version}</>}. <HtmlReportLink id={r.id} />
      </p>
      {drifted.length + scores.length > 0 && (
        <div class="table-wrap">
          <p class="muted">A statistical test on small samples (drifted below its p-value threshold), a distance on large ones (drifted above its threshold).</p>
          <table data-testid="drifted-features">
            <caption>Drifted columns, strongest first</caption>
            <thead>
              <tr><th scope="col">Column</th><th scope="col">Method</th><th scope="col">Statistic</th><th scope="col">Threshold</th><th scope="col">p-value</th><th scope="col">Mean (training → now)</th></tr>
            </thead>
            <tbody>
              <ColumnRows columns={drifted.slice(0, SHOWN_COLUMNS)} />
              <ColumnRows columns={scores.map((s) => ({ ...s, name: `${s.name} score` }))} />
            </tbody>
          </table>
          {drifted.length > SHOWN_COLUMNS && <p class="muted">and {drifted.length - SHOWN_COLUMNS} more drifted features: see the full report.</p>}
        </div>
      )}
    </div>
  );
}

function DriftSection() {
  const list = useOptional<{ items: DriftReportSummary[]; nextCursor?: string }>('/v1/drift/reports?limit=50');
  const items = list.state === 'ok' ? list.value.items : [];
  // Newest first from the API; the chart reads left to right in time, over the reports that measured drift.
  const history = items.filter((s) => s.status === 'ok' || s.status === 'drift').map((s) => ({ at: s.window.to, value: s.driftedShare })).reverse();
  return (
    <Section id="drift-title" title="Drift" loaded={list}>
      {items.length === 0 ? (
        <p class="empty">No drift report yet: the drift check runs on its schedule.</p>
      ) : (
        <>
          <LatestReport id={items[0]!.id} />
          <h3>Share of drifted features over the last {items.length} reports</h3>
          <ShareChart points={history} label="Share of features drifted" />
          <details>
            <summary>Report history</summary>
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Drift reports, newest first</caption>
                <thead><tr><th scope="col">Window end</th><th scope="col">Verdict</th><th scope="col">Drifted</th><th scope="col">Rows</th></tr></thead>
                <tbody>
                  {items.map((s) => (
                    <tr key={s.id}><td>{when(s.window.to)}</td><td>{VERDICT[s.status].text}</td><td class="num">{s.driftedFeatures} ({percent(s.driftedShare)})</td><td class="num">{s.rows}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </Section>
  );
}

function MetricCells({ m }: { m: Metrics | null }) {
  if (!m) return <td colSpan={4} class="muted">–</td>;
  return (
    <>
      <td class="num">{num(m.precision)}</td>
      <td class="num">{num(m.recall)}</td>
      <td class="num">{num(m.f1)}</td>
      <td class="num">{m.rows}</td>
    </>
  );
}

function PerformanceSection() {
  const perf = useOptional<{ window: { from: string; to: string }; models: ModelPerformance[] }>('/v1/performance');
  return (
    <Section id="performance-title" title="Model performance" loaded={perf}>
      {perf.state === 'ok' && (
        <>
          <p class="muted">Predictions from {when(perf.value.window.from)} to {when(perf.value.window.to)}. Realized: against review labels; estimated: from the calibrated scores alone (CBPE).</p>
          {perf.value.models.length === 0 && <p class="empty">No supervised model in production.</p>}
          {perf.value.models.map((p) => (
            <div class="table-wrap" key={p.model} data-model={p.model}>
              <table>
                <caption>
                  {p.model} {p.version}, threshold {num(p.threshold, 2)}{p.referenceF1 !== null && <>, F1 at training {num(p.referenceF1)}</>}
                  {(p.below.realized || p.below.estimated) && <> <span class="badge reject">below its floor</span></>}
                </caption>
                <thead><tr><th scope="col">Measure</th><th scope="col">Precision</th><th scope="col">Recall</th><th scope="col">F1</th><th scope="col">Rows</th></tr></thead>
                <tbody>
                  <tr>
                    <th scope="row">Realized (review labels)</th>
                    {p.realized ? <MetricCells m={p.realized} /> : (
                      <td colSpan={4} class="muted" data-testid="no-labels">
                        {p.estimatedOnLabelled ? `Too few labels yet (${p.estimatedOnLabelled.rows} reviewed)` : 'No labels yet'}
                      </td>
                    )}
                  </tr>
                  <tr><th scope="row">Estimated on the labelled rows</th><MetricCells m={p.estimatedOnLabelled} /></tr>
                  <tr><th scope="row">Estimated on every prediction</th><MetricCells m={p.estimated} /></tr>
                </tbody>
              </table>
            </div>
          ))}
        </>
      )}
    </Section>
  );
}

const ACTION_TEXT: Record<OpsAction['type'], string> = {
  'request-retraining': 'Request a retraining',
  rollback: 'Roll back',
  'hold-promotions': 'Hold promotions',
  alert: 'Alert',
};
const actionTitle = (a: OpsAction) => `${ACTION_TEXT[a.type]} (${a.subject})`;

function OpsSection({ me }: { me: Me }) {
  const [version, setVersion] = useState(0);
  const log = useOptional<{ findings: Finding[]; actions: OpsAction[] }>('/v1/ops/log?limit=50', version);
  const [decision, setDecision] = useState<{ action: OpsAction; verb: 'approve' | 'reject' } | null>(null);
  const [comment, setComment] = useState('');
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const admin = can(me, 'admin');
  useEffect(() => {
    if (decision) {
      setComment('');
      dialog.current?.showModal();
    } else dialog.current?.close();
  }, [decision]);

  const findings = log.state === 'ok' ? log.value.findings : [];
  const actions = log.state === 'ok' ? log.value.actions : [];
  const pending = actions.filter((a) => a.status === 'pending-approval');
  const findingOf = new Map(findings.map((f) => [f.id, f]));

  const decide = async () => {
    if (!decision) return;
    const { action, verb } = decision;
    try {
      const after = await api<OpsAction>(`/v1/ops/actions/${encodeURIComponent(action.id)}/${verb}`, { method: 'POST', body: { comment } });
      setNotice({ ok: true, text: `${actionTitle(action)}: ${verb === 'approve' ? 'approved' : 'rejected'}, now ${after.status}${after.error ? ` (${after.error})` : ''}.` });
    } catch (err) {
      const text =
        err instanceof ApiError && err.status === 409
          ? `${actionTitle(action)} is no longer waiting for a decision (someone decided it already, or you may not decide it). The log below is up to date.`
          : err instanceof ApiError && err.status === 403
            ? 'Deciding operations actions needs the admin role.'
            : `${actionTitle(action)}: ${(err as Error).message}`;
      setNotice({ ok: false, text });
    }
    setDecision(null);
    setVersion((v) => v + 1);
  };

  return (
    <Section id="ops-title" title="Operations log" loaded={log}>
      {notice && <p class={notice.ok ? 'ok' : 'error'} role={notice.ok ? 'status' : 'alert'} data-testid="ops-notice">{notice.text}</p>}
      <h3>Waiting for approval</h3>
      {pending.length === 0 && <p class="empty">Nothing is waiting.</p>}
      {pending.length > 0 && !admin && <p class="muted" data-testid="ops-admin-only">Approving or rejecting these needs the admin role.</p>}
      <ul class="plain pending">
        {pending.map((a) => (
          <li key={a.id} data-action={a.id}>
            <strong>{actionTitle(a)}</strong> <span class="badge review">{a.risk} risk</span> <span class="muted">proposed {when(a.createdAt)}</span>
            <ul class="plain">{a.findingIds.map((id) => findingOf.get(id)).filter((f): f is Finding => !!f).map((f) => <li key={f.id}>{f.summary}</li>)}</ul>
            {admin && (
              <div class="review-actions">
                <button type="button" class="approve" onClick={() => setDecision({ action: a, verb: 'approve' })}>Approve<span class="visually-hidden"> {actionTitle(a)}</span></button>
                <button type="button" class="reject" onClick={() => setDecision({ action: a, verb: 'reject' })}>Reject<span class="visually-hidden"> {actionTitle(a)}</span></button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <h3>Actions</h3>
      {actions.length === 0 ? <p class="empty">No actions yet.</p> : (
        <div class="table-wrap">
          <table data-testid="ops-actions">
            <caption class="visually-hidden">Actions of the operations policy, newest first</caption>
            <thead><tr><th scope="col">Action</th><th scope="col">Risk</th><th scope="col">Status</th><th scope="col">Decided by</th><th scope="col">Updated</th></tr></thead>
            <tbody>
              {actions.map((a) => (
                <tr key={a.id} data-action={a.id}>
                  <td>{actionTitle(a)}{a.comment ? <span class="muted"> “{a.comment}”</span> : ''}</td>
                  <td>{a.risk}</td>
                  <td data-testid="action-status">{a.status}{a.error ? <span class="error"> {a.error}</span> : ''}</td>
                  <td>{a.decidedBy ?? (a.status === 'pending-approval' ? '' : 'policy')}</td>
                  <td>{when(a.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Findings</h3>
      {findings.length === 0 ? <p class="empty">No findings yet.</p> : (
        <ol class="history">
          {findings.map((f) => <li key={f.id}><time>{when(f.createdAt)}</time> {f.kind} ({f.subject}): {f.summary}</li>)}
        </ol>
      )}
      <dialog ref={dialog} aria-labelledby="ops-confirm-title" onClose={() => setDecision(null)}>
        {decision && (
          <form method="dialog" onSubmit={(e) => { e.preventDefault(); void decide(); }}>
            <h2 id="ops-confirm-title">{decision.verb === 'approve' ? 'Approve' : 'Reject'}: {actionTitle(decision.action)}?</h2>
            {decision.verb === 'approve' && <p class="muted">An approved action runs at once.</p>}
            <label>
              Comment (optional, kept in the log)
              <input name="comment" maxLength={2000} value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} autocomplete="off" />
            </label>
            <div class="dialog-actions">
              <button type="button" class="secondary" onClick={() => setDecision(null)}>Cancel</button>
              <button type="submit">{decision.verb === 'approve' ? 'Approve' : 'Reject'}</button>
            </div>
          </form>
        )}
      </dialog>
    </Section>
  );
}

/** The count that says how far a job of each batch kind got (none of them knows its total in advance). */
const MAIN_COUNT: Readonly<Record<BatchKind, string>> = { sweep: 'objects', reprocess: 'listed', backfill: 'listed', export: 'rows', summary: 'invoices', 'review-queue': 'scanned', 'docai-backlog': 'staged' };

function JobProgress({ job }: { job: JobView }) {
  const label = `${job.kind} ${job.status}`;
  const main: string | undefined = (MAIN_COUNT as Readonly<Record<string, string>>)[job.kind];
  const counts = Object.entries(job.counts).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`).join(', ');
  return (
    <>
      {job.status === 'running' || job.status === 'queued' ? (
        <progress aria-label={label} />
      ) : (
        <progress aria-label={label} max={1} value={1} class={job.status} />
      )}
      <span class="muted">{main && job.counts[main] !== undefined ? `${job.counts[main]} ${main}` : ''}{counts && main ? ' · ' : ''}{counts}</span>
    </>
  );
}

function JobsSection() {
  const jobs = useOptional<{ items: JobView[] }>('/v1/jobs?limit=20');
  return (
    <Section id="jobs-title" title="Batch jobs" loaded={jobs}>
      {jobs.state === 'ok' && jobs.value.items.length === 0 && <p class="empty">No jobs yet.</p>}
      {jobs.state === 'ok' && jobs.value.items.length > 0 && (
        <div class="table-wrap">
          <table data-testid="jobs">
            <caption class="visually-hidden">Jobs, newest first</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Updated</th></tr></thead>
            <tbody>
              {jobs.value.items.map((j) => (
                <tr key={j.id} data-job={j.kind}>
                  <td>{j.kind} <span class="muted">{j.key}</span></td>
                  <td>{j.status}{j.errors.length > 0 && <span class="error" title={j.errors.at(-1)!.reason}> ({j.errors.length} errors: {j.errors.at(-1)!.code})</span>}</td>
                  <td class="job-progress"><JobProgress job={j} /></td>
                  <td>{when(j.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function UsageSection() {
  const month = new Date().toISOString().slice(0, 7);
  const usage = useOptional<{ month: string; pages: number }>(`/v1/usage/documentai?month=${month}`);
  return (
    <Section id="usage-title" title="Document AI pages this month" loaded={usage}>
      {usage.state === 'ok' && (
        <p data-testid="docai-pages">
          <strong>{usage.value.pages}</strong> pages read by Document AI in {usage.value.month}. The monthly budget is a setting of the batch function: the daily summary compares the pages with it.
        </p>
      )}
    </Section>
  );
}

export function MonitoringPage({ me }: { me: Me }) {
  const [pending, setPending] = useState<Array<{ id: string; name: string; version: string; requestedBy: string }>>([]);
  useEffect(() => {
    api<{ pending: typeof pending }>('/v1/models').then((r) => setPending(r.pending), () => {});
  }, []);
  return (
    <>
      <DriftSection />
      <PerformanceSection />
      <OpsSection me={me} />
      {pending.length > 0 && (
        <section aria-labelledby="approvals-title" class="monitor">
          <h2 id="approvals-title">Model promotions waiting for approval</h2>
          <ul class="plain">{pending.map((p) => <li key={p.id}>Promote {p.name} {p.version}, requested by {p.requestedBy}: <a href="/models">decide on the models page</a></li>)}</ul>
        </section>
      )}
      <JobsSection />
      <UsageSection />
    </>
  );
}
