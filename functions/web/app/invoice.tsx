/**
 * One invoice: the page image with the extracted fields outlined (boxes from the OCR document, normalized page
 * coordinates drawn as an SVG overlay: no inline style needed), each field with its confidence, the checks, the
 * scores, the features that weighed most in words, and the history (earlier revisions and reviews). Every string
 * from the invoice is rendered as text (Preact escapes it); nothing from it becomes markup or a URL.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiObjectUrl, ApiError } from './api.js';
import { DecisionBadge } from './invoices.js';
import { AMOUNT_FIELDS, contributionText, featureText, FIELD_LABELS, FIELD_ORDER, money, percent, reasonText, STATUS_TEXT, when } from './words.js';

export interface Field {
  value: string | number;
  confidence: number;
  source?: string;
  pageNumber?: number;
  box?: { x: number; y: number; w: number; h: number };
}
export interface Detail {
  invoice: {
    invoiceId: string;
    status: string;
    revision: number;
    fileName: string;
    createdAt: string;
    rejection?: { code: string; message?: string };
    invoice?: { documentType?: string; fields: Record<string, Field | undefined> };
    validations?: Array<{ code: string; severity: string; passed: boolean; message: string }>;
    decision?: {
      decision: string;
      basis: string;
      reasons: Array<{ code: string; effect: string; message: string }>;
      scores: { quality: number | null; failureRisk: number | null; anomaly: number | null; ruleQuality: number };
      modelVersions: Record<string, string>;
      explanations: Record<string, Array<{ feature: string; value: number; contribution: number }>>;
    };
  };
  history: Array<{ revision: number; status: string; supersededAt: string; reason: string; decision?: { decision: string } }>;
  pages: { count: number };
  auditSample: boolean;
}
export interface ReviewEntry {
  reviewer: string;
  reviewedAt: string;
  decision: string;
  revision: number;
  corrections: Record<string, string | number>;
  note?: string;
  current: boolean;
}

export function useDetail(id: string, version = 0): { detail: Detail | null; reviews: ReviewEntry[]; error: string | null } {
  const [state, setState] = useState<{ detail: Detail | null; reviews: ReviewEntry[]; error: string | null }>({ detail: null, reviews: [], error: null });
  useEffect(() => {
    const ctrl = new AbortController();
    Promise.all([
      api<Detail>(`/v1/invoices/${encodeURIComponent(id)}`, { signal: ctrl.signal }),
      api<{ items: ReviewEntry[] }>(`/v1/invoices/${encodeURIComponent(id)}/reviews`, { signal: ctrl.signal }).catch(() => ({ items: [] })),
    ]).then(
      ([detail, reviews]) => setState({ detail, reviews: reviews.items, error: null }),
      (err: Error) => !ctrl.signal.aborted && setState({ detail: null, reviews: [], error: err instanceof ApiError && err.status === 404 ? 'No such invoice.' : err.message }),
    );
    return () => ctrl.abort();
  }, [id, version]);
  return state;
}

export function PageImage({ id, fields, page, highlight }: { id: string; fields: Record<string, Field | undefined>; page: number; highlight?: string | undefined }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    let url: string | null = null;
    setSrc(null);
    setFailed(null);
    apiObjectUrl(`/v1/invoices/${encodeURIComponent(id)}/pages/${page}`, ctrl.signal).then(
      (u) => {
        url = u;
        setSrc(u);
      },
      (err: Error) => !ctrl.signal.aborted && setFailed(err.message),
    );
    return () => {
      ctrl.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [id, page]);
  const boxes = Object.entries(fields).filter(([, f]) => f?.box && (f.pageNumber ?? 1) === page) as Array<[string, Field]>;
  if (failed) return <p class="empty">The page image is not available: {failed}</p>;
  return (
    <figure class="page">
      {src ? <img src={src} alt={`Page ${page} of the invoice`} /> : <div class="page-loading">Loading page…</div>}
      {src && (
        <svg class="boxes" viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
          {boxes.map(([name, f]) => (
            <rect class={name === highlight ? 'box active' : 'box'} x={f.box!.x} y={f.box!.y} width={f.box!.w} height={f.box!.h} vector-effect="non-scaling-stroke">
              <title>{FIELD_LABELS[name] ?? name}</title>
            </rect>
          ))}
        </svg>
      )}
      <figcaption>Extracted fields are outlined ({boxes.length} on this page).</figcaption>
    </figure>
  );
}

const fieldText = (name: string, f: Field | undefined, currency?: string) =>
  f === undefined ? '' : typeof f.value === 'number' && AMOUNT_FIELDS.has(name) ? money(f.value, currency) : String(f.value);

export function FieldsTable({ fields, keys, corrections, highlight }: { fields: Record<string, Field | undefined>; keys?: Record<string, string>; corrections?: Record<string, string | number>; highlight?: string | undefined }) {
  const currency = fields.currency?.value as string | undefined;
  return (
    <table class="fields">
      <caption>Extracted fields</caption>
      <thead>
        <tr>
          {keys && <th scope="col">Key</th>}
          <th scope="col">Field</th>
          <th scope="col">Value</th>
          <th scope="col">Confidence</th>
        </tr>
      </thead>
      <tbody>
        {FIELD_ORDER.map((name) => {
          const f = fields[name];
          const corrected = corrections?.[name];
          return (
            <tr key={name} class={name === highlight ? 'active' : ''} data-field={name}>
              {keys && <td><kbd>{keys[name]}</kbd></td>}
              <th scope="row">{FIELD_LABELS[name]}</th>
              <td>
                {corrected !== undefined ? (
                  <>
                    <del>{fieldText(name, f, currency)}</del> <ins data-testid="correction">{String(corrected)}</ins>
                  </>
                ) : (
                  fieldText(name, f, currency)
                )}
              </td>
              <td>
                {f ? (
                  <span class={f.confidence < 0.6 ? 'conf low' : f.confidence < 0.85 ? 'conf mid' : 'conf'}>{percent(f.confidence)}</span>
                ) : (
                  <span class="muted">not found</span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function Assessment({ detail }: { detail: Detail }) {
  const inv = detail.invoice;
  const d = inv.decision;
  const failed = (inv.validations ?? []).filter((v) => !v.passed);
  const passed = (inv.validations ?? []).filter((v) => v.passed);
  const top = d
    ? Object.entries(d.explanations)
        .flatMap(([model, list]) => list.map((c) => ({ model, ...c })))
        .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
        .slice(0, 6)
    : [];
  return (
    <div class="assessment">
      <section aria-labelledby="decision-title">
        <h3 id="decision-title">Decision</h3>
        <p>
          <DecisionBadge decision={d?.decision} status={inv.status} /> {d?.basis === 'rules' ? 'by the rules (no model installed)' : d ? 'by the models and rules' : ''}
          {detail.auditSample && <span class="badge audit">audit sample</span>}
        </p>
        {inv.rejection && <p class="error">Rejected: {reasonText(inv.rejection.code)}{inv.rejection.message ? ` (${inv.rejection.message})` : ''}</p>}
        {d && d.reasons.length > 0 && (
          <ul class="reasons-list">
            {d.reasons.map((r) => <li>{reasonText(r.code)}: {r.message}</li>)}
          </ul>
        )}
        {d && (
          <dl class="scores">
            <dt>Reading reliable</dt><dd>{percent(d.scores.quality ?? d.scores.ruleQuality)}</dd>
            <dt>Payment risk</dt><dd>{percent(d.scores.failureRisk)}</dd>
            <dt>Unusual</dt><dd>{percent(d.scores.anomaly)}</dd>
          </dl>
        )}
        {d && Object.keys(d.modelVersions).length > 0 && (
          <p class="muted">Models: {Object.entries(d.modelVersions).map(([n, v]) => `${n} ${v}`).join(', ')}</p>
        )}
      </section>
      {top.length > 0 && (
        <section aria-labelledby="why-title">
          <h3 id="why-title">What weighed most</h3>
          <ul class="why">
            {top.map((c) => (
              <li>
                <strong>{featureText(c.feature)}</strong> {contributionText(c.model, c.contribution)}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="checks-title">
        <h3 id="checks-title">Checks</h3>
        {failed.length === 0 && passed.length === 0 && <p class="muted">No checks ran.</p>}
        <ul class="checks">
          {failed.map((v) => <li class={`check ${v.severity}`}><span class="check-mark">✗</span> {v.message}</li>)}
          {passed.map((v) => <li class="check ok"><span class="check-mark">✓</span> {v.message}</li>)}
        </ul>
      </section>
    </div>
  );
}

export function History({ detail, reviews }: { detail: Detail; reviews: ReviewEntry[] }) {
  const events = [
    { at: detail.invoice.createdAt, text: `Received as ${detail.invoice.fileName}` },
    ...detail.history.map((h) => ({ at: h.supersededAt, text: `Revision ${h.revision} (${STATUS_TEXT[h.status] ?? h.status}${h.decision ? `, ${h.decision.decision}` : ''}) re-run: ${h.reason}` })),
    ...reviews.map((r) => ({
      at: r.reviewedAt,
      text: `${r.reviewer} ${r.decision === 'approve' ? 'approved' : 'rejected'} revision ${r.revision}${Object.keys(r.corrections).length ? `, corrected ${Object.keys(r.corrections).map((f) => FIELD_LABELS[f] ?? f).join(', ')}` : ''}${r.note ? `: “${r.note}”` : ''}${r.current ? '' : ' (replaced)'}`,
    })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <section aria-labelledby="history-title">
      <h3 id="history-title">History</h3>
      <ol class="history">
        {events.map((e) => (
          <li>
            <time dateTime={e.at}>{when(e.at)}</time> {e.text}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function InvoicePage({ id }: { id: string }) {
  const [page, setPage] = useState(1);
  const { detail, reviews, error } = useDetail(id);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!detail) return <p class="empty">Loading…</p>;
  const inv = detail.invoice;
  const fields = inv.invoice?.fields ?? {};
  const title = (fields.supplier_name?.value as string | undefined) ?? inv.fileName;
  return (
    <article class="invoice" aria-labelledby="invoice-title">
      <p><a href="/">← All invoices</a></p>
      <h2 id="invoice-title">
        <span data-testid="invoice-supplier">{title}</span> {fields.invoice_id ? <span class="muted">#{String(fields.invoice_id.value)}</span> : null}
      </h2>
      <p class="muted">{inv.fileName} · revision {inv.revision} · {STATUS_TEXT[inv.status] ?? inv.status}</p>
      <div class="invoice-grid">
        <div>
          {detail.pages.count > 0 ? (
            <>
              <PageImage id={id} fields={fields} page={page} />
              {detail.pages.count > 1 && (
                <nav class="pager" aria-label="Pages">
                  <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous page</button>
                  <span>Page {page} of {detail.pages.count}</span>
                  <button type="button" disabled={page >= detail.pages.count} onClick={() => setPage(page + 1)}>Next page</button>
                </nav>
              )}
            </>
          ) : (
            <p class="empty">No page image (an XML e-invoice, or the file could not be read).</p>
          )}
        </div>
        <div>
          <FieldsTable fields={fields} />
          <Assessment detail={detail} />
          <History detail={detail} reviews={reviews} />
        </div>
      </div>
    </article>
  );
}
