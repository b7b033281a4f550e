/**
 * The review queue, worked from the keyboard: J/K move, A approves (with any corrections and the note) and moves
 * on in one key, R rejects and moves on, E + a field's key + typing + Enter corrects a field (three keys plus the
 * typing), N writes a note, O opens the invoice. Every decision is a review label the API ties to the model
 * versions that scored the invoice. The shortcuts are always on the page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { Assessment, FieldsTable, PageImage, useDetail } from './invoice.js';
import type { Summary } from './invoices.js';
import { navigate } from './router.js';
import { AMOUNT_FIELDS, FIELD_LABELS, FIELD_ORDER, money } from './words.js';

type QueueItem = Summary & { queue: 'review' | 'audit' };

const FIELD_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'b', 'c', 'd', 'f', 'g'];
const KEY_OF: Record<string, string> = Object.fromEntries(FIELD_ORDER.map((f, i) => [f, FIELD_KEYS[i]!]));
const FIELD_OF: Record<string, string> = Object.fromEntries(FIELD_ORDER.map((f, i) => [FIELD_KEYS[i]!, f]));

function parseCorrection(field: string, raw: string): string | number {
  const text = raw.trim();
  if (AMOUNT_FIELDS.has(field)) {
    const n = Number(text.replace(/\s/g, '').replace(/,(\d{1,2})$/, '.$1').replace(/,/g, ''));
    if (!Number.isFinite(n) || text === '') throw new Error(`${FIELD_LABELS[field]} must be a number`);
    return n;
  }
  if (field === 'currency') return text.toUpperCase();
  return text;
}

export function ReviewPage() {
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [cursor, setCursor] = useState<string | undefined>();
  const [index, setIndex] = useState(0);
  const [editing, setEditing] = useState<null | 'choose' | string>(null);
  const [pending, setPending] = useState<Record<string, string | number>>({});
  const [note, setNote] = useState('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const editInput = useRef<HTMLInputElement>(null);
  const noteInput = useRef<HTMLTextAreaElement>(null);
  const current = items?.[index];
  // Keys can arrive faster than renders: the key handler reads the latest state from these refs, set at once.
  const mode = useRef<null | 'choose' | string>(null);
  const typed = useRef('');
  const entered = useRef(false);
  const pendingNow = useRef<Record<string, string | number>>({});
  const setMode = (m: null | 'choose' | string) => {
    mode.current = m;
    typed.current = '';
    entered.current = false;
    setEditing(m);
  };
  const setPendingNow = (p: Record<string, string | number>) => {
    pendingNow.current = p;
    setPending(p);
  };

  const loadMore = async (from?: string) => {
    const page = await api<{ items: QueueItem[]; nextCursor?: string }>(`/v1/review-queue?limit=50${from ? `&cursor=${encodeURIComponent(from)}` : ''}`);
    setItems((list) => {
      const seen = new Set((list ?? []).map((i) => i.invoiceId));
      return [...(list ?? []), ...page.items.filter((i) => !seen.has(i.invoiceId))];
    });
    setCursor(page.nextCursor);
  };
  useEffect(() => {
    loadMore().catch((err: Error) => setMessage({ kind: 'error', text: err.message }));
  }, []);
  useEffect(() => {
    if (items && cursor && items.length - index < 5) loadMore(cursor).catch(() => {});
  }, [items?.length, index]);

  const move = (delta: number) => {
    if (!items || items.length === 0) return;
    setIndex((i) => Math.max(0, Math.min(items.length - 1, i + delta)));
    setPendingNow({});
    setNote('');
    setMode(null);
  };

  const busyNow = useRef(false);
  const decide = async (decision: 'approve' | 'reject') => {
    // One decision at a time: a key held down or pressed twice does not judge the same invoice twice.
    if (!current || busyNow.current) return;
    busyNow.current = true;
    const pending = pendingNow.current;
    setBusy(true);
    try {
      await api(`/v1/invoices/${encodeURIComponent(current.invoiceId)}/review`, {
        method: 'POST',
        body: { decision, ...(Object.keys(pending).length ? { corrections: pending } : {}), ...(note.trim() ? { note: note.trim() } : {}) },
      });
      const label = current.supplierName || current.fileName;
      setMessage({ kind: 'ok', text: `${decision === 'approve' ? 'Approved' : 'Rejected'} ${label}${Object.keys(pending).length ? ` with ${Object.keys(pending).length} correction(s)` : ''}.` });
      setItems((list) => (list ?? []).filter((i) => i.invoiceId !== current.invoiceId));
      setIndex((i) => Math.max(0, Math.min(i, (items?.length ?? 1) - 2)));
      setPendingNow({});
      setNote('');
      setMode(null);
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof ApiError ? `Not saved: ${err.message}` : (err as Error).message });
    } finally {
      busyNow.current = false;
      setBusy(false);
    }
  };

  // The window's listener calls the handler of the latest render, set here during the render: a listener
  // re-attached by an effect after each paint left the previous render's handler in place for the keys pressed
  // in between, and an R right after an approve judged the invoice just approved again.
  const keyHandler = useRef<(e: KeyboardEvent) => void>(() => {});
  keyHandler.current = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement;
    if (target.closest('input, textarea, select, dialog')) return;
    if (mode.current === 'choose') {
      e.preventDefault();
      setMode(FIELD_OF[e.key.toLowerCase()] ?? null);
      return;
    }
    if (mode.current) {
      // A field was chosen and its input is not focused yet: keep what is typed for it, Enter included.
      if (e.key.length === 1) typed.current += e.key;
      if (e.key === 'Enter') entered.current = true;
      if (e.key === 'Escape') setMode(null);
      e.preventDefault();
      return;
    }
    const key = e.key;
    const actions: Record<string, () => void> = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      a: () => void decide('approve'), r: () => void decide('reject'),
      e: () => current && setMode('choose'), n: () => noteInput.current?.focus(),
      o: () => current && navigate(`/invoices/${encodeURIComponent(current.invoiceId)}`),
    };
    const act = actions[key] ?? actions[key.toLowerCase()];
    if (act) {
      e.preventDefault();
      act();
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => keyHandler.current(e);
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  // Called when the field's input appears (once the invoice's detail is in, so that its value is final): what was
  // typed before replaces the value, else the value is selected for typing over; an Enter typed before keeps it.
  const onEditorShown = (input: HTMLInputElement) => {
    input.focus();
    if (typed.current) input.value = typed.current;
    else input.select();
    typed.current = '';
    if (entered.current) input.form?.requestSubmit();
  };

  return (
    <div class="review-page">
      <section class="review-main" aria-labelledby="review-title">
        <h2 id="review-title">Review queue {items && <span class="muted">({items.length}{cursor ? '+' : ''} open)</span>}</h2>
        <div aria-live="polite" role="status" class="review-status">
          {message && <p class={message.kind === 'ok' ? 'ok' : 'error'}>{message.text}</p>}
        </div>
        {!items && <p class="empty">Loading…</p>}
        {items && items.length === 0 && <p class="empty">Nothing to review. Well done.</p>}
        {current && (
          <ReviewItem
            key={current.invoiceId}
            item={current}
            position={`${index + 1} of ${items!.length}${cursor ? '+' : ''}`}
            editing={editing}
            pending={pending}
            editInput={editInput}
            onEditorShown={onEditorShown}
            onSave={(field, raw) => {
              try {
                setPendingNow({ ...pendingNow.current, [field]: parseCorrection(field, raw) });
                setMode(null);
              } catch (err) {
                setMessage({ kind: 'error', text: (err as Error).message });
              }
            }}
            onCancel={() => setMode(null)}
          />
        )}
        {current && (
          <label class="note">
            Note for the record (N)
            <textarea
              ref={noteInput}
              rows={2}
              maxLength={2000}
              value={note}
              onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') (e.target as HTMLTextAreaElement).blur();
              }}
            />
          </label>
        )}
        {current && (
          <div class="review-actions">
            <button type="button" onClick={() => move(-1)} disabled={index === 0}>Previous (K)</button>
            <button type="button" class="approve" onClick={() => void decide('approve')} disabled={busy}>Approve and next (A)</button>
            <button type="button" class="reject" onClick={() => void decide('reject')} disabled={busy}>Reject and next (R)</button>
            <button type="button" onClick={() => move(1)}>Next (J)</button>
          </div>
        )}
      </section>
      <aside class="shortcuts" aria-labelledby="keys-title">
        <h3 id="keys-title">Keyboard</h3>
        <dl>
          <dt><kbd>A</kbd></dt><dd>approve and go to the next</dd>
          <dt><kbd>R</kbd></dt><dd>reject and go to the next</dd>
          <dt><kbd>J</kbd> / <kbd>K</kbd></dt><dd>next / previous</dd>
          <dt><kbd>E</kbd> <kbd>key</kbd></dt><dd>edit a field (keys in the table), type, <kbd>Enter</kbd> to keep, <kbd>Esc</kbd> to cancel</dd>
          <dt><kbd>N</kbd></dt><dd>write a note (<kbd>Esc</kbd> to leave it)</dd>
          <dt><kbd>O</kbd></dt><dd>open the invoice page</dd>
        </dl>
      </aside>
    </div>
  );
}

function ReviewItem(props: {
  item: QueueItem;
  position: string;
  editing: null | 'choose' | string;
  pending: Record<string, string | number>;
  editInput: { current: HTMLInputElement | null };
  onEditorShown(input: HTMLInputElement): void;
  onSave(field: string, raw: string): void;
  onCancel(): void;
}) {
  const { item, editing, pending } = props;
  const { detail, error } = useDetail(item.invoiceId);
  const fields = detail?.invoice.invoice?.fields ?? {};
  // The editor waits for the detail: a value that arrived after the input was focused would move the caret to the
  // start of the new value, and what the reviewer typed would land before it ("120.50" + "122"). Keys typed in
  // the meantime are kept by the page and put in when the input appears.
  const editField = editing && editing !== 'choose' && (detail || error) ? editing : undefined;
  const { editInput, onEditorShown } = props;
  useEffect(() => {
    if (editField && editInput.current) onEditorShown(editInput.current);
  }, [editField]);
  return (
    <article class="review-item" data-testid="review-item" data-invoice={item.invoiceId} aria-label={`Invoice ${props.position}`}>
      <p class="muted">
        {props.position} · {item.queue === 'audit' ? 'audit sample of an approved invoice' : 'needs review'} · <span data-testid="review-supplier">{item.supplierName || item.fileName}</span> · {money(item.totalAmount, item.currency)}
      </p>
      {error && <p class="error">{error}</p>}
      {editing === 'choose' && <p class="hint" role="status">Press the key of the field to edit (shown in the table), or any other key to cancel.</p>}
      {editField && (
        <form
          class="edit"
          onSubmit={(e) => {
            e.preventDefault();
            props.onSave(editField, props.editInput.current?.value ?? '');
          }}
        >
          <label>
            {FIELD_LABELS[editField]}
            <input
              ref={props.editInput}
              name="value"
              autocomplete="off"
              defaultValue={String(pending[editField] ?? fields[editField]?.value ?? '')}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  e.preventDefault();
                  props.onCancel();
                }
              }}
            />
          </label>
          <button type="submit">Keep (Enter)</button>
        </form>
      )}
      {detail && (
        <div class="invoice-grid">
          <div>{detail.pages.count > 0 ? <PageImage id={item.invoiceId} fields={fields} page={fields[editField ?? '']?.pageNumber ?? 1} highlight={editField} /> : <p class="empty">No page image.</p>}</div>
          <div>
            <FieldsTable fields={fields} keys={KEY_OF} corrections={pending} highlight={editField} />
            <Assessment detail={detail} />
          </div>
        </div>
      )}
    </article>
  );
}
