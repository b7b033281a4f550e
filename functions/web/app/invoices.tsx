/**
 * The live invoice table: filters and sorting live in the URL (a filtered view can be bookmarked and shared),
 * the first page comes from one listing request, and the server-sent-events stream updates rows as invoices
 * settle (new ones are fetched with one debounced listing, never by polling).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, apiObjectUrl, can, followEvents, type Me } from './api.js';
import { navigate, type Route } from './router.js';
import { UploadPanel } from './upload.js';
import { money, reasonText, STATUS_TEXT, when } from './words.js';

export interface Summary {
  invoiceId: string;
  fileName: string;
  status: string;
  decision?: string;
  supplierKey?: string;
  supplierName?: string;
  invoiceNumber?: string;
  totalAmount?: number;
  currency?: string;
  invoiceDate?: string;
  reasons?: string[];
  createdAt: string;
}

const FILTERS = ['status', 'decision', 'supplier', 'reason', 'from', 'to', 'order'] as const;
const SORTS: Record<string, (a: Summary, b: Summary) => number> = {
  received: (a, b) => a.createdAt.localeCompare(b.createdAt),
  supplier: (a, b) => (a.supplierName ?? '').localeCompare(b.supplierName ?? ''),
  number: (a, b) => (a.invoiceNumber ?? '').localeCompare(b.invoiceNumber ?? '', undefined, { numeric: true }),
  date: (a, b) => (a.invoiceDate ?? '').localeCompare(b.invoiceDate ?? ''),
  total: (a, b) => (a.totalAmount ?? -Infinity) - (b.totalAmount ?? -Infinity),
  status: (a, b) => a.status.localeCompare(b.status),
  decision: (a, b) => (a.decision ?? '').localeCompare(b.decision ?? ''),
};

type ListPage = { items: Summary[]; nextCursor?: string };
const prefetched = new Map<string, { promise: Promise<ListPage>; page?: ListPage }>();

/**
 * Starts a listing before the table asks for it: the first one while the app is still checking who is signed
 * in (in parallel: the first row appears one round trip sooner), and a filter's as soon as it is chosen. Only
 * the latest is kept (an earlier one nobody took is stale). Resolves when it has arrived, or failed.
 */
export function prefetchInvoices(query: URLSearchParams): Promise<unknown> {
  const path = listPath(query);
  prefetched.clear();
  const entry: { promise: Promise<ListPage>; page?: ListPage } = { promise: api<ListPage>(path) };
  prefetched.set(path, entry);
  return entry.promise.then((page) => (entry.page = page), () => {});
}

/** The prefetched first page when it has already arrived: the table's first render then has its rows (one frame less). */
const arrived = (key: string): ListPage | undefined => prefetched.get(key)?.page;

export function listPath(query: URLSearchParams, cursor?: string): string {
  const q = new URLSearchParams();
  for (const f of FILTERS) {
    const v = query.get(f);
    if (v) q.set(f, v);
  }
  q.set('limit', '50');
  if (cursor) q.set('cursor', cursor);
  return `/v1/invoices?${q}`;
}

async function downloadCsv(): Promise<void> {
  const url = await apiObjectUrl('/v1/exports/invoices.csv');
  const a = document.createElement('a');
  a.href = url;
  a.download = 'invoices.csv';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function DecisionBadge({ decision, status }: { decision?: string | undefined; status: string }) {
  if (decision) return <span class={`badge ${decision.toLowerCase()}`}>{decision}</span>;
  return <span class={`badge status-${status.toLowerCase()}`}>{STATUS_TEXT[status] ?? status}</span>;
}

export function InvoicesPage({ route, me }: { route: Route; me: Me }) {
  const listKey = listPath(route.query);
  const [rows, setRows] = useState<Summary[] | null>(() => arrived(listKey)?.items ?? null);
  const [cursor, setCursor] = useState<string | undefined>(() => arrived(listKey)?.nextCursor);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const refresh = useRef<() => void>(() => {});

  useEffect(() => {
    const ctrl = new AbortController();
    setError(null);
    const load = () => {
      const early = prefetched.get(listKey)?.promise;
      prefetched.delete(listKey);
      return (early ?? api<ListPage>(listKey, { signal: ctrl.signal })).then(
        (page) => {
          setRows(page.items);
          setCursor(page.nextCursor);
        },
        (err: Error) => !ctrl.signal.aborted && setError(err.message),
      );
    };
    void load();
    let timer: ReturnType<typeof setTimeout> | undefined;
    refresh.current = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 400);
    };
    return () => {
      ctrl.abort();
      clearTimeout(timer);
    };
  }, [listKey]);

  useEffect(() => {
    const ctrl = new AbortController();
    void followEvents(
      (e) => {
        setRows((list) => list && list.map((r) => (r.invoiceId === e.invoiceId ? { ...r, status: e.status, ...(e.decision ? { decision: e.decision } : {}) } : r)));
        refresh.current();
      },
      ctrl.signal,
      setLive,
    );
    return () => ctrl.abort();
  }, []);

  // User timing for the bench: when a listing's rows are on screen (the frame after they were rendered).
  useEffect(() => {
    if (rows && rows.length > 0) requestAnimationFrame(() => performance.mark('ledgerx:rows', { detail: listKey }));
  }, [rows]);

  const sort = route.query.get('sort') ?? '';
  const dir = route.query.get('dir') === 'desc' ? -1 : 1;
  const shown = useMemo(() => {
    if (!rows) return null;
    const by = SORTS[sort];
    return by ? [...rows].sort((a, b) => by(a, b) * dir) : rows;
  }, [rows, sort, dir]);

  const setQuery = (changes: Record<string, string | null>) => {
    const q = new URLSearchParams(route.query);
    for (const [k, v] of Object.entries(changes)) {
      if (v) q.set(k, v);
      else q.delete(k);
    }
    const s = q.toString();
    // The new listing starts now, not from the effect after the next paint.
    if (listPath(q) !== listKey) prefetchInvoices(q);
    navigate(`/${s ? `?${s}` : ''}`, { replace: true });
  };
  const sortHeader = (key: string, label: string) => {
    const active = sort === key;
    return (
      <th scope="col" aria-sort={active ? (dir === 1 ? 'ascending' : 'descending') : 'none'}>
        <button type="button" class="sort" onClick={() => setQuery({ sort: key, dir: active && dir === 1 ? 'desc' : null })}>
          {label}
          <span aria-hidden="true">{active ? (dir === 1 ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };

  return (
    <>
      {can(me, 'reviewer') && <UploadPanel />}
      <section aria-labelledby="invoices-title">
        <div class="section-head">
          <h2 id="invoices-title">Invoices</h2>
          <span class={live ? 'live on' : 'live'} role="status">{live ? 'Live' : 'Connecting…'}</span>
          <button type="button" class="secondary" onClick={() => void downloadCsv()}>Export CSV</button>
        </div>
        <form
          class="filters"
          aria-label="Filters"
          onSubmit={(e) => {
            e.preventDefault();
            const data = new FormData(e.currentTarget);
            setQuery(Object.fromEntries(FILTERS.map((f) => [f, String(data.get(f) ?? '').trim() || null])));
          }}
        >
          <label>
            Status
            <select name="status" value={route.query.get('status') ?? ''} onChange={(e) => setQuery({ status: (e.target as HTMLSelectElement).value || null })}>
              <option value="">Any</option>
              {Object.entries(STATUS_TEXT).map(([v, t]) => <option value={v}>{t}</option>)}
            </select>
          </label>
          <label>
            Decision
            <select name="decision" value={route.query.get('decision') ?? ''} onChange={(e) => setQuery({ decision: (e.target as HTMLSelectElement).value || null })}>
              <option value="">Any</option>
              <option value="APPROVE">Approve</option>
              <option value="REVIEW">Review</option>
              <option value="REJECT">Reject</option>
            </select>
          </label>
          <label>
            Supplier
            <input name="supplier" type="search" defaultValue={route.query.get('supplier') ?? ''} autocomplete="off" />
          </label>
          <label>
            Reason code
            <input name="reason" type="search" defaultValue={route.query.get('reason') ?? ''} pattern="[A-Z0-9_]*" autocomplete="off" />
          </label>
          <label>
            Received from
            <input name="from" type="date" defaultValue={route.query.get('from') ?? ''} />
          </label>
          <label>
            to
            <input name="to" type="date" defaultValue={route.query.get('to') ?? ''} />
          </label>
          <label>
            Order
            <select name="order" value={route.query.get('order') ?? 'newest'} onChange={(e) => setQuery({ order: (e.target as HTMLSelectElement).value === 'oldest' ? 'oldest' : null })}>
              <option value="newest">Newest first</option>
              <option value="oldest">Oldest first</option>
            </select>
          </label>
          <button type="submit">Apply</button>
        </form>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="table-wrap">
          <table class="invoices" data-testid="invoice-table">
            <caption class="visually-hidden">Invoices matching the filters</caption>
            <thead>
              <tr>
                {sortHeader('status', 'Status')}
                {sortHeader('supplier', 'Supplier')}
                {sortHeader('number', 'Number')}
                {sortHeader('date', 'Date')}
                {sortHeader('total', 'Total')}
                {sortHeader('decision', 'Decision')}
                <th scope="col">Reasons</th>
                {sortHeader('received', 'Received')}
              </tr>
            </thead>
            <tbody>
              {shown?.map((r) => (
                <tr key={r.invoiceId} data-invoice={r.invoiceId}>
                  <td data-label="Status">{STATUS_TEXT[r.status] ?? r.status}</td>
                  <td class="supplier" data-label="Supplier">
                    <a href={`/invoices/${encodeURIComponent(r.invoiceId)}`}>{r.supplierName || r.fileName}</a>
                  </td>
                  <td data-label="Number">{r.invoiceNumber ?? ''}</td>
                  <td data-label="Date">{r.invoiceDate ?? ''}</td>
                  <td class="num" data-label="Total">{money(r.totalAmount, r.currency)}</td>
                  <td data-label="Decision"><DecisionBadge decision={r.decision} status={r.status} /></td>
                  <td class="reasons" data-label="Reasons">{(r.reasons ?? []).map((c) => reasonText(c)).join(' · ')}</td>
                  <td data-label="Received">{when(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {shown && shown.length === 0 && <p class="empty">No invoices match these filters.</p>}
        {!shown && !error && <p class="empty">Loading…</p>}
        {cursor && (
          <button
            type="button"
            class="secondary"
            onClick={() =>
              void api<{ items: Summary[]; nextCursor?: string }>(listPath(route.query, cursor)).then((page) => {
                setRows((list) => [...(list ?? []), ...page.items]);
                setCursor(page.nextCursor);
              }, (err: Error) => setError(err.message))
            }
          >
            Load more
          </button>
        )}
      </section>
    </>
  );
}
