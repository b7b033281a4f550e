/**
 * The page's client of the LedgerX API (same origin): the bearer credential of this tab (an API key, or a Google
 * ID token on GCP) kept in sessionStorage, problem+json errors turned into {@link ApiError} with the API's stable
 * code, and the server-sent-events stream read with fetch (EventSource cannot send a bearer token).
 */

const CREDENTIAL = 'ledgerx.credential';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function credential(): string | null {
  return sessionStorage.getItem(CREDENTIAL);
}

export function setCredential(value: string | null): void {
  if (value) sessionStorage.setItem(CREDENTIAL, value);
  else sessionStorage.removeItem(CREDENTIAL);
}

const listeners = new Set<() => void>();
/** Called when the API says the credential is no longer valid (401): the page signs out. */
export function onSignedOut(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function authHeaders(extra?: HeadersInit): Headers {
  const headers = new Headers(extra);
  const c = credential();
  if (c) headers.set('Authorization', `Bearer ${c}`);
  return headers;
}

async function problemOf(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { code?: unknown; detail?: unknown; title?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.detail === 'string') message = body.detail;
    else if (typeof body.title === 'string') message = body.title;
  } catch {
    // not problem+json (a proxy's page): keep the status line
  }
  if (res.status === 401) for (const l of listeners) l();
  return new ApiError(res.status, code, message);
}

/** Times a request is sent again when the API answers 503 with a Retry-After (it says the request is safe to resend). */
const RESENDS = 2;
const MAX_RETRY_AFTER_MS = 5_000;

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  for (let resend = 0; ; resend++) {
    const res = await fetch(path, {
      method: init.method ?? 'GET',
      headers: authHeaders(init.body !== undefined ? { 'Content-Type': 'application/json' } : undefined),
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: init.signal,
    });
    const retryAfter = res.status === 503 && res.headers.has('Retry-After') ? Number(res.headers.get('Retry-After')) : NaN;
    // A review store's contention outlasting the server's own retries: the action is stored once, so the
    // reviewer's click is sent again after the pause asked for rather than shown as an error.
    if (Number.isFinite(retryAfter) && retryAfter >= 0 && resend < RESENDS && !init.signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS)));
      continue;
    }
    if (!res.ok) throw await problemOf(res);
    return (await res.json()) as T;
  }
}

/** A binary answer (page images) as an object URL; the caller revokes it. */
export async function apiObjectUrl(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(path, { headers: authHeaders(), signal });
  if (!res.ok) throw await problemOf(res);
  return URL.createObjectURL(await res.blob());
}

/** A route that may not exist yet in this deployment (another feature's): null on 404 or 501. */
export async function optional<T>(path: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await api<T>(path, { signal });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 501)) return null;
    throw err;
  }
}

export interface InvoiceEvent {
  invoiceId: string;
  status: string;
  decision?: string;
  at: string;
}

/**
 * Follows `GET /v1/events` until `signal` aborts, reconnecting when the server ends a stream (it does, on
 * purpose, every few minutes) with a growing pause after failures. One request per stream: no polling.
 */
export async function followEvents(onEvent: (e: InvoiceEvent) => void, signal: AbortSignal, onState?: (live: boolean) => void): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const res = await fetch('/v1/events', { headers: authHeaders({ Accept: 'text/event-stream' }), signal });
      if (!res.ok || !res.body) throw await problemOf(res);
      onState?.(true);
      failures = 0;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (event === 'invoice' && data) {
            try {
              onEvent(JSON.parse(data) as InvoiceEvent);
            } catch {
              // a malformed event is skipped; the next list refresh catches up
            }
          }
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) return;
      failures += 1;
    }
    onState?.(false);
    await new Promise((r) => setTimeout(r, Math.min(30_000, 1_000 * 2 ** Math.min(failures, 5))));
  }
}

export interface Me {
  id: string;
  kind: 'api-key' | 'user';
  role: 'viewer' | 'reviewer' | 'admin';
  label: string;
}

const RANK = { viewer: 0, reviewer: 1, admin: 2 } as const;
export const can = (me: Me | null, role: keyof typeof RANK): boolean => !!me && RANK[me.role] >= RANK[role];
