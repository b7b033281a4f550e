/**
 * Model versions with their stages and metrics, pending promotions and experiment runs. Promote, roll back,
 * approve and reject (admins only) each ask for a confirmation with a reason, kept in the registry's audit trail.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, can, type Me } from './api.js';
import { when } from './words.js';

interface Version {
  name: string;
  version: string;
  stage: 'staging' | 'production' | 'archived';
  kind: string;
  createdAt: string;
  metrics: Record<string, unknown>;
  runId: string | null;
  trainingRows: number;
}
interface Request {
  id: string;
  name: string;
  version: string;
  requestedBy: string;
  requestedAt: string;
  reason: string;
}
interface Registry {
  mode: 'auto' | 'approval';
  production: Record<string, string>;
  versions: Version[];
  pending: Request[];
}
interface Run {
  id: string;
  kind: string;
  status: string;
  startedAt: string;
  durationSeconds: number | null;
  versions: Record<string, string>;
}

interface Action {
  title: string;
  confirm: string;
  field: 'reason' | 'comment';
  run(text: string): Promise<unknown>;
}

function metric(v: Version, name: string): string {
  const test = v.metrics.test as Record<string, unknown> | undefined;
  const value = test?.[name] ?? v.metrics[name];
  return typeof value === 'number' ? value.toFixed(3) : '–';
}

export function ModelsPage({ me }: { me: Me }) {
  const [registry, setRegistry] = useState<Registry | null>(null);
  const [runs, setRuns] = useState<Run[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [text, setText] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  const admin = can(me, 'admin');

  const load = () =>
    Promise.all([api<Registry>('/v1/models'), api<{ items: Run[] }>('/v1/runs?limit=20').catch(() => ({ items: [] }))]).then(
      ([r, runPage]) => {
        setRegistry(r);
        setRuns(runPage.items);
      },
      (err: Error) => setError(err.message),
    );
  useEffect(() => void load(), []);
  useEffect(() => {
    if (action) {
      setText('');
      dialog.current?.showModal();
    } else dialog.current?.close();
  }, [action]);

  const names = registry ? [...new Set(registry.versions.map((v) => v.name))].sort() : [];
  return (
    <>
      <section aria-labelledby="models-title">
        <h2 id="models-title">Models</h2>
        {!admin && <p class="muted">Promoting and rolling back models needs the admin role.</p>}
        {registry?.mode === 'approval' && <p class="muted">Promotions wait for a second admin's approval.</p>}
        {error && <p class="error" role="alert">{error}</p>}
        {notice && <p class="ok" role="status">{notice}</p>}
        {names.map((name) => {
          const versions = registry!.versions.filter((v) => v.name === name).reverse();
          return (
            <div class="model" key={name}>
              <div class="section-head">
                <h3>{name}</h3>
                <span class="muted">production: {registry!.production[name] ?? 'none'}</span>
                {admin && (
                  <button
                    type="button"
                    class="secondary"
                    data-testid={`rollback-${name}`}
                    onClick={() => setAction({ title: `Roll back ${name}`, confirm: 'Roll back', field: 'reason', run: (reason) => api(`/v1/models/${name}/rollback`, { method: 'POST', body: { reason } }) })}
                  >
                    Roll back
                  </button>
                )}
              </div>
              <div class="table-wrap">
                <table>
                  <caption class="visually-hidden">Versions of {name}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Version</th><th scope="col">Stage</th><th scope="col">Created</th><th scope="col">F1</th><th scope="col">PR AUC</th><th scope="col">Rows</th>
                      {admin && <th scope="col"><span class="visually-hidden">Actions</span></th>}
                    </tr>
                  </thead>
                  <tbody>
                    {versions.map((v) => (
                      <tr key={v.version} data-version={`${v.name}@${v.version}`}>
                        <td>{v.version}</td>
                        <td><span class={`badge stage-${v.stage}`}>{v.stage}</span></td>
                        <td>{when(v.createdAt)}</td>
                        <td class="num">{metric(v, 'f1')}</td>
                        <td class="num">{metric(v, 'prAuc')}</td>
                        <td class="num">{v.trainingRows}</td>
                        {admin && (
                          <td>
                            {v.stage !== 'production' && (
                              <button
                                type="button"
                                onClick={() => setAction({ title: `Promote ${v.name} ${v.version} to production`, confirm: 'Promote', field: 'reason', run: (reason) => api(`/v1/models/${v.name}/versions/${encodeURIComponent(v.version)}/promote`, { method: 'POST', body: { reason } }) })}
                              >
                                Promote<span class="visually-hidden"> {v.version}</span>
                              </button>
                            )}
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          );
        })}
        {registry && names.length === 0 && <p class="empty">No models registered.</p>}
      </section>
      <section aria-labelledby="pending-title">
        <h2 id="pending-title">Pending approvals</h2>
        {registry && registry.pending.length === 0 && <p class="empty">None.</p>}
        <ul class="plain">
          {registry?.pending.map((r) => (
            <li key={r.id}>
              {r.name} {r.version} requested by {r.requestedBy} ({when(r.requestedAt)}): {r.reason}{' '}
              {admin && (
                <>
                  <button type="button" onClick={() => setAction({ title: `Approve ${r.name} ${r.version}`, confirm: 'Approve', field: 'comment', run: (comment) => api(`/v1/models/requests/${encodeURIComponent(r.id)}/approve`, { method: 'POST', body: { comment } }) })}>Approve</button>{' '}
                  <button type="button" class="secondary" onClick={() => setAction({ title: `Reject ${r.name} ${r.version}`, confirm: 'Reject', field: 'comment', run: (comment) => api(`/v1/models/requests/${encodeURIComponent(r.id)}/reject`, { method: 'POST', body: { comment } }) })}>Reject</button>
                </>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Experiment runs</h2>
        {runs.length === 0 && <p class="empty">No runs recorded.</p>}
        {runs.length > 0 && (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Recent training runs</caption>
              <thead><tr><th scope="col">Run</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Seconds</th><th scope="col">Versions</th></tr></thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id}><td>{r.id}</td><td>{r.kind}</td><td>{r.status}</td><td>{when(r.startedAt)}</td><td class="num">{r.durationSeconds ?? ''}</td><td>{Object.entries(r.versions).map(([n, v]) => `${n} ${v}`).join(', ')}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <dialog ref={dialog} aria-labelledby="confirm-title" onClose={() => setAction(null)}>
        {action && (
          <form
            method="dialog"
            onSubmit={async (e) => {
              e.preventDefault();
              try {
                await action.run(text);
                setNotice(`${action.title}: done.`);
                setError(null);
                setAction(null);
                await load();
              } catch (err) {
                setError(`${action.title}: ${(err as Error).message}`);
                setAction(null);
              }
            }}
          >
            <h2 id="confirm-title">{action.title}?</h2>
            <label>
              {action.field === 'reason' ? 'Why (kept in the audit trail)' : 'Comment (kept in the audit trail)'}
              <input name="text" required minLength={3} maxLength={2000} value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} autocomplete="off" />
            </label>
            <div class="dialog-actions">
              <button type="button" class="secondary" onClick={() => setAction(null)}>Cancel</button>
              <button type="submit">{action.confirm}</button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
