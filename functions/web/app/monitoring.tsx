/**
 * Monitoring: the latest drift report, performance over time, the operations log with pending approvals,
 * Document AI pages against the budget, and batch jobs with their progress. Each comes from its own route, some
 * of which a deployment may not have yet (404) or not in this runtime (501): the section then says so and the
 * rest of the page works. Shapes are read defensively, since those routes are built elsewhere.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, optional } from './api.js';
import { when } from './words.js';

type Json = Record<string, unknown>;
type Loaded<T> = { state: 'loading' } | { state: 'missing' } | { state: 'error'; message: string } | { state: 'ok'; value: T };

function useOptional<T>(path: string): Loaded<T> {
  const [s, set] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    const ctrl = new AbortController();
    optional<T>(path, ctrl.signal).then(
      (v) => set(v === null ? { state: 'missing' } : { state: 'ok', value: v }),
      (err: Error) => !ctrl.signal.aborted && set({ state: 'error', message: err.message }),
    );
    return () => ctrl.abort();
  }, [path]);
  return s;
}

function Section({ id, title, loaded, children }: { id: string; title: string; loaded: Loaded<unknown>; children?: preact.ComponentChildren }) {
  return (
    <section aria-labelledby={id} class="monitor" data-section={id}>
      <h2 id={id}>{title}</h2>
      {loaded.state === 'loading' && <p class="empty">Loading…</p>}
      {loaded.state === 'missing' && <p class="empty" data-testid="not-available">Not available in this deployment yet.</p>}
      {loaded.state === 'error' && <p class="error">{loaded.message}</p>}
      {loaded.state === 'ok' && children}
    </section>
  );
}

const itemsOf = (v: unknown): Json[] => {
  if (Array.isArray(v)) return v.filter((x): x is Json => !!x && typeof x === 'object');
  if (v && typeof v === 'object') {
    for (const key of ['items', 'reports', 'points', 'series', 'entries', 'jobs']) {
      const inner = (v as Json)[key];
      if (Array.isArray(inner)) return itemsOf(inner);
    }
  }
  return [];
};
const timeOf = (x: Json): string | undefined => ['at', 'date', 'day', 'windowEnd', 'createdAt', 'startedAt', 'window'].map((k) => x[k]).find((v): v is string => typeof v === 'string');
const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

/** A line chart of numeric series over time: hand-written SVG (no chart library, no inline style). */
export function LineChart({ points, label }: { points: Json[]; label: string }) {
  const series = [...new Set(points.flatMap((p) => Object.keys(p).filter((k) => typeof p[k] === 'number')))].slice(0, 4);
  if (points.length < 2 || series.length === 0) return <p class="muted">Not enough points to draw.</p>;
  const W = 600, H = 200, P = 30;
  const values = points.flatMap((p) => series.map((s) => p[s] as number).filter((v) => typeof v === 'number'));
  const lo = Math.min(0, ...values), hi = Math.max(...values, lo + 1e-9);
  const x = (i: number) => P + (i * (W - 2 * P)) / (points.length - 1);
  const y = (v: number) => H - P - ((v - lo) * (H - 2 * P)) / (hi - lo);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${label}: ${series.join(', ')} over ${points.length} points`}>
        <line class="axis" x1={P} y1={H - P} x2={W - P} y2={H - P} />
        <line class="axis" x1={P} y1={P} x2={P} y2={H - P} />
        <text class="tick" x={2} y={y(hi) + 4}>{hi.toFixed(2)}</text>
        <text class="tick" x={2} y={y(lo) + 4}>{lo.toFixed(2)}</text>
        {series.map((s, si) => (
          <polyline class={`series s${si}`} points={points.map((p, i) => (typeof p[s] === 'number' ? `${x(i)},${y(p[s] as number)}` : '')).filter(Boolean).join(' ')} />
        ))}
      </svg>
      <figcaption>
        {series.map((s, si) => <span class={`legend s${si}`}>{s}</span>)} {timeOf(points[0]!) && `from ${when(timeOf(points[0]!))} to ${when(timeOf(points.at(-1)!))}`}
      </figcaption>
    </figure>
  );
}

function DriftReport({ value }: { value: unknown }) {
  const report = (itemsOf(value)[0] ?? value) as Json;
  const features = itemsOf(report.features ?? report.perFeature ?? []);
  const drifted = features.filter((f) => f.drifted === true);
  return (
    <>
      <p>
        {timeOf(report) && <>Report of {when(timeOf(report))}: </>}
        <strong>{report.datasetDrift === true || report.drifted === true ? 'drift detected' : report.datasetDrift === false || report.drifted === false ? 'no drift' : text(report.verdict ?? report.status)}</strong>
        {features.length > 0 && ` (${drifted.length} of ${features.length} features drifted)`}
      </p>
      {drifted.length > 0 && <ul class="plain">{drifted.slice(0, 10).map((f) => <li>{text(f.name ?? f.feature)}: {text(f.distance ?? f.score ?? f.statistic)}</li>)}</ul>}
    </>
  );
}

export function MonitoringPage() {
  const drift = useOptional<unknown>('/v1/drift/reports?limit=1');
  const performance = useOptional<unknown>('/v1/performance');
  const ops = useOptional<unknown>('/v1/ops/log?limit=50');
  const usage = useOptional<Json>(`/v1/usage/documentai?month=${new Date().toISOString().slice(0, 7)}`);
  const jobs = useOptional<{ items: Array<{ id: string; kind: string; status: string; counts: Record<string, number>; updatedAt: string; errors: unknown[] }> }>('/v1/jobs?limit=20');
  const [pending, setPending] = useState<Json[]>([]);
  useEffect(() => {
    api<{ pending: Json[] }>('/v1/models').then((r) => setPending(r.pending), () => {});
  }, []);

  return (
    <>
      <Section id="drift-title" title="Drift" loaded={drift}>
        {drift.state === 'ok' && <DriftReport value={drift.value} />}
      </Section>
      <Section id="performance-title" title="Performance over time" loaded={performance}>
        {performance.state === 'ok' && <LineChart points={itemsOf(performance.value)} label="Performance" />}
      </Section>
      <Section id="ops-title" title="Operations log" loaded={ops}>
        {ops.state === 'ok' && (
          <>
            <h3>Pending approvals</h3>
            {[...pending, ...itemsOf(ops.value).filter((e) => e.status === 'pending')].length === 0 && <p class="empty">None.</p>}
            <ul class="plain">
              {pending.map((p) => <li>Promote {text(p.name)} {text(p.version)}, requested by {text(p.requestedBy)}: <a href="/models">decide</a></li>)}
              {itemsOf(ops.value).filter((e) => e.status === 'pending').map((e) => <li>{text(e.action ?? e.kind)}: {text(e.reason ?? e.message)}</li>)}
            </ul>
            <h3>Recent entries</h3>
            <ol class="history">
              {itemsOf(ops.value).slice(0, 50).map((e) => (
                <li>
                  <time>{when(timeOf(e))}</time> {[e.action, e.kind, e.finding, e.status, e.reason, e.message].map(text).filter(Boolean).join(' · ')}
                </li>
              ))}
            </ol>
          </>
        )}
      </Section>
      {ops.state !== 'ok' && pending.length > 0 && (
        <section aria-labelledby="approvals-title" class="monitor">
          <h2 id="approvals-title">Pending approvals</h2>
          <ul class="plain">{pending.map((p) => <li>Promote {text(p.name)} {text(p.version)}, requested by {text(p.requestedBy)}: <a href="/models">decide</a></li>)}</ul>
        </section>
      )}
      <Section id="usage-title" title="Document AI pages this month" loaded={usage}>
        {usage.state === 'ok' && (
          <p>
            {text(usage.value.pages)} pages{typeof usage.value.budget === 'number' ? ` of a budget of ${usage.value.budget}` : ''}
            {typeof usage.value.budget === 'number' && <> <meter min={0} max={usage.value.budget} value={Number(usage.value.pages)} aria-label="Pages used of the budget" /></>}
          </p>
        )}
      </Section>
      <Section id="jobs-title" title="Batch jobs" loaded={jobs}>
        {jobs.state === 'ok' && jobs.value.items.length === 0 && <p class="empty">No jobs yet.</p>}
        {jobs.state === 'ok' && jobs.value.items.length > 0 && (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Jobs, newest first</caption>
              <thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Updated</th></tr></thead>
              <tbody>
                {jobs.value.items.map((j) => {
                  const total = j.counts.total ?? j.counts.expected;
                  const done = j.counts.done ?? j.counts.processed ?? 0;
                  return (
                    <tr key={j.id}>
                      <td>{j.kind} <span class="muted">{j.id}</span></td>
                      <td>{j.status}{j.errors.length ? ` (${j.errors.length} errors)` : ''}</td>
                      <td>{total ? <progress max={total} value={done} aria-label={`${j.kind} progress`} /> : Object.entries(j.counts).map(([k, v]) => `${k} ${v}`).join(', ')}</td>
                      <td>{when(j.updatedAt)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
