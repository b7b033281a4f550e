/**
 * The live feed behind `GET /v1/events` (server-sent events): one event per invoice that changed status.
 * Locally the runtime reports every settled invoice as it happens; on GCP an instance polls the newest invoices
 * while at least one stream is open (one listing per interval per instance, shared by every stream), so the
 * web app gets its updates over one long-lived request instead of polling the API against its rate limit.
 */
import type { InvoiceStore, InvoiceSummary, Logger } from '../core/ports.js';
import { errorFields } from '../platform/logger.js';

export interface InvoiceUpdate {
  invoiceId: string;
  status: string;
  decision?: string | undefined;
  at: string;
}

export interface InvoiceUpdates {
  /** Calls `listener` for every update from now on; returns the unsubscribe function. */
  subscribe(listener: (update: InvoiceUpdate) => void): () => void;
}

/** A feed pushed by the runtime (local: `runtime.onSettled`). */
export function pushedUpdates(): InvoiceUpdates & { emit(update: InvoiceUpdate): void } {
  const listeners = new Set<(u: InvoiceUpdate) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(update) {
      for (const l of listeners) l(update);
    },
  };
}

/**
 * A feed made by polling the store's newest `window` invoices every `intervalMs` while someone listens, and
 * reporting those whose (status, decision) changed since the previous poll (or that are new).
 */
export function polledUpdates(store: InvoiceStore, options: { intervalMs: number; window?: number; now: () => Date; log: Logger }): InvoiceUpdates {
  const listeners = new Set<(u: InvoiceUpdate) => void>();
  let timer: NodeJS.Timeout | undefined;
  let last: Map<string, string> | undefined;
  const key = (s: InvoiceSummary) => `${s.status}|${s.decision ?? ''}`;
  const poll = async () => {
    try {
      const { items } = await store.list({ limit: options.window ?? 100 });
      const seen = new Map(items.map((s) => [s.invoiceId, key(s)]));
      if (last) {
        for (const s of items) {
          if (last.get(s.invoiceId) !== key(s)) {
            const update = { invoiceId: s.invoiceId, status: s.status, decision: s.decision, at: options.now().toISOString() };
            for (const l of listeners) l(update);
          }
        }
      }
      last = seen;
    } catch (err) {
      options.log.warn('update poll failed', errorFields(err));
    }
  };
  const start = () => {
    if (timer) return;
    void poll();
    timer = setInterval(() => void poll(), options.intervalMs);
    timer.unref();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
          last = undefined;
        }
      };
    },
  };
}
