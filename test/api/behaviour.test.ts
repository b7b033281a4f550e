/**
 * The API's behaviour route by route on the embedded adapters (in-process requests, no pipeline running):
 * listing filters and paging, one invoice with its history, the review queue with its stable audit sample, the
 * streamed CSV, page images, API keys, webhooks' target checks, the rate limit, signed local uploads, and
 * hostile input (oversized and empty bodies, wrong types, traversal in names and ids, HTML in a supplier name).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inAuditSample } from '../../functions/core/api/audit-sample.js';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import { makeRecord } from '../contracts/invoice-records.js';
import { testApi, tinyPdf, type TestApi } from './helpers.js';

const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

function scored(id: string, at: number, decision: 'APPROVE' | 'REVIEW' | 'REJECT', extra: Partial<InvoiceRecord> = {}): InvoiceRecord {
  // The audit draw as the inference stage makes it with a rate of 0.3 (the server's setting below).
  const auditSample = decision === 'APPROVE' ? inAuditSample(id, 0.3) : undefined;
  const base = makeRecord({ id, at, status: 'SCORED', decision, supplierKey: 'name:acme', total: 100 + at, currency: 'EUR', date: '2025-02-01', reasons: decision === 'REVIEW' ? ['LOW_FIELD_CONFIDENCE'] : [], models: { quality: 'v7' }, auditSample });
  return { ...base, ...extra };
}

describe('the API on the embedded adapters', () => {
  let api: TestApi;
  const ids: string[] = [];
  beforeAll(async () => {
    api = await testApi({ settings: { auditSampleRate: 0.3 } });
    for (let i = 0; i < 60; i++) {
      const id = `inv_${String(i).padStart(24, '0')}`;
      ids.push(id);
      await api.deps.store.createIfAbsent(scored(id, i, i % 3 === 0 ? 'REVIEW' : i % 7 === 0 ? 'REJECT' : 'APPROVE'));
    }
  });
  afterAll(async () => api?.dispose());

  it('lists newest first, pages with a cursor and filters by decision, supplier (name or key), reason, model and received range', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await json<{ items: Array<{ invoiceId: string; href: string }>; nextCursor?: string }>(
        await api.request(`/v1/invoices?limit=25${cursor ? `&cursor=${cursor}` : ''}`, { key: api.keys.viewer }),
      );
      seen.push(...page.items.map((i) => i.invoiceId));
      expect(page.items[0]?.href).toMatch(/^\/v1\/invoices\/inv_/);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const review = await json<{ items: unknown[] }>(await api.request('/v1/invoices?decision=REVIEW&limit=200', { key: api.keys.viewer }));
    expect(review.items).toHaveLength(20);
    for (const supplier of ['Acme GmbH', 'name:acme']) {
      const bySupplier = await json<{ items: unknown[] }>(await api.request(`/v1/invoices?supplier=${encodeURIComponent(supplier)}&limit=200`, { key: api.keys.viewer }));
      expect(bySupplier.items, supplier).toHaveLength(60);
    }
    expect((await json<{ items: unknown[] }>(await api.request('/v1/invoices?reason=LOW_FIELD_CONFIDENCE&limit=200', { key: api.keys.viewer }))).items).toHaveLength(20);
    expect((await json<{ items: unknown[] }>(await api.request('/v1/invoices?model=quality@v7&limit=5', { key: api.keys.viewer }))).items).toHaveLength(5);
    const range = await json<{ items: Array<{ createdAt: string }> }>(await api.request('/v1/invoices?from=2025-03-01T08:00:10Z&to=2025-03-01T08:00:20Z&order=oldest', { key: api.keys.viewer }));
    expect(range.items.map((i) => i.createdAt)).toEqual(Array.from({ length: 10 }, (_, i) => new Date(Date.parse('2025-03-01T08:00:10Z') + i * 1000).toISOString()));
    // Bad filters and a forged cursor are 400s with a code.
    expect((await json(await api.request('/v1/invoices?status=NOPE', { key: api.keys.viewer }))).code).toBe('INVALID_REQUEST');
    expect((await json(await api.request('/v1/invoices?limit=100000', { key: api.keys.viewer }))).code).toBe('INVALID_REQUEST');
    expect((await json(await api.request('/v1/invoices?cursor=Zm9v', { key: api.keys.viewer }))).code).toBe('INVALID_CURSOR');
  });

  it('returns one invoice with fields, decision, scores, explanations and model versions and its history; HTML stays data', async () => {
    const hostile = scored('inv_hostile', 100, 'REVIEW');
    hostile.invoice!.fields.supplier_name = { value: '<script>alert("x")</script><img src=x onerror=alert(1)>', confidence: 0.8, source: 'layout', box: { x: 1, y: 2, w: 3, h: 4 } } as never;
    await api.deps.store.createIfAbsent(hostile);
    const res = await api.request('/v1/invoices/inv_hostile', { key: api.keys.viewer });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await json<{ invoice: InvoiceRecord; history: unknown[]; pages: { href: string }; auditSample: boolean }>(res);
    expect(body.invoice.invoice?.fields.supplier_name).toMatchObject({ value: '<script>alert("x")</script><img src=x onerror=alert(1)>', confidence: 0.8, box: { x: 1 } });
    expect(body.invoice.decision).toMatchObject({ decision: 'REVIEW', modelVersions: { quality: 'v7' }, scores: { ruleQuality: 1 } });
    expect(body.history).toEqual([]);
    expect(body.pages.href).toBe('/v1/invoices/inv_hostile/pages');
    expect((await api.request('/v1/invoices/inv_nope', { key: api.keys.viewer })).status).toBe(404);
    // Traversal and junk in an id never reach a store: the id pattern refuses them.
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', '%3Cscript%3E', 'a'.repeat(65)]) {
      const r = await api.request(`/v1/invoices/${bad}`, { key: api.keys.viewer });
      expect([400, 404], bad).toContain(r.status);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('queues REVIEW oldest first merged with a stable audit sample of approvals, page after page', async () => {
    const walk = async (limit: number) => {
      const out: Array<{ invoiceId: string; queue: string }> = [];
      let cursor: string | undefined;
      let guard = 0;
      do {
        const page = await json<{ items: Array<{ invoiceId: string; queue: string }>; nextCursor?: string }>(
          await api.request(`/v1/review-queue?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { key: api.keys.reviewer }),
        );
        out.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && ++guard < 100);
      return out;
    };
    const queue = await walk(7);
    const expectedReview = ids.filter((_, i) => i % 3 === 0);
    const expectedAudit = ids.filter((id, i) => i % 3 !== 0 && i % 7 !== 0 && inAuditSample(id, 0.3));
    expect(expectedAudit.length).toBeGreaterThan(3);
    expect(queue.filter((q) => q.queue === 'review').map((q) => q.invoiceId)).toEqual([...expectedReview, 'inv_hostile']);
    expect(queue.filter((q) => q.queue === 'audit').map((q) => q.invoiceId)).toEqual(expectedAudit);
    // Oldest first across both, and the same sample on every walk, whatever the page size.
    const order = queue.map((q) => q.invoiceId);
    expect(order.filter((id) => id !== 'inv_hostile')).toEqual([...order.filter((id) => id !== 'inv_hostile')].sort());
    expect((await walk(50)).map((q) => q.invoiceId)).toEqual(order);
    expect((await api.request('/v1/review-queue', { key: api.keys.viewer })).status).toBe(403);
    // The plug-in point of the review-label store: reviewed invoices leave the queue, and one whose label was
    // stored but not its mark on the record (a crash between the two writes) is left out and marked.
    api.deps.reviewed = async (ids) => new Set(ids.filter((id) => expectedReview.slice(0, 10).includes(id)));
    try {
      const rest = await walk(4);
      expect(rest.map((q) => q.invoiceId)).toEqual(order.filter((id) => !expectedReview.slice(0, 10).includes(id)));
    } finally {
      api.deps.reviewed = undefined;
    }
    expect((await api.deps.store.get(expectedReview[0]!))?.reviewedRevision).toBe(1);
    expect((await walk(5)).map((q) => q.invoiceId)).toEqual(order.filter((id) => !expectedReview.slice(0, 10).includes(id)));
  });

  it('streams the CSV export with the CLI layout, formulas neutralized', async () => {
    const res = await api.request('/v1/exports/invoices.csv', { key: api.keys.viewer });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const text = await res.text();
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^ledgerx_id,file,status,decision,reasons,reject_code,invoice_id/);
    expect(lines).toHaveLength(1 + 61);
    expect(text).toContain('"<script>alert(""x"")</script><img src=x onerror=alert(1)>"');
  });

  it('creates, lists and revokes API keys; a revoked key stops working; keys are stored hashed', async () => {
    const created = await api.request('/v1/api-keys', { key: api.keys.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ERP', role: 'viewer' }) });
    expect(created.status).toBe(201);
    const { key, id } = await json<{ key: string; id: string }>(created);
    expect(key).toMatch(/^lxk_[a-z0-9]+_[A-Za-z0-9_-]{43}$/);
    const stored = await api.deps.keys.get(id);
    expect(JSON.stringify(stored)).not.toContain(key.split('_').pop()!);
    expect((await api.request('/v1/me', { key })).status).toBe(200);
    const list = await json<{ items: Array<Record<string, unknown>> }>(await api.request('/v1/api-keys', { key: api.keys.admin }));
    expect(list.items.some((k) => k.id === id)).toBe(true);
    expect(JSON.stringify(list)).not.toMatch(/secretSha256|lxk_/);
    expect((await api.request(`/v1/api-keys/${id}`, { key: api.keys.admin, method: 'DELETE' })).status).toBe(204);
    // Revocation is immediate on this instance for a key it has not cached; the cache lasts 10 s at most.
    const fresh = await api.newKey('viewer');
    await api.deps.keys.revoke(fresh.id, new Date().toISOString());
    expect((await json(await api.request('/v1/me', { key: fresh.key }))).code).toBe('INVALID_CREDENTIALS');
    expect((await api.request('/v1/api-keys', { key: api.keys.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', role: 'root' }) })).status).toBe(400);
  });

  it('refuses webhook targets on private, loopback, link-local and metadata addresses, plain http and URLs with credentials', async () => {
    const create = (url: string) => api.request('/v1/webhooks', { key: api.keys.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
    for (const url of [
      'https://127.0.0.1/hook', 'https://localhost/hook', 'https://169.254.169.254/computeMetadata/v1/', 'https://metadata.google.internal/',
      'https://10.0.0.7/hook', 'https://192.168.1.1/hook', 'https://[::1]/hook', 'https://[fd00::1]/hook', 'https://[::ffff:127.0.0.1]/hook',
      'https://100.64.0.1/hook', 'http://93.184.216.34/hook', 'https://user:pw@93.184.216.34/hook', 'ftp://93.184.216.34/', 'not a url',
    ]) {
      const res = await create(url);
      expect(res.status, url).toBe(400);
      expect((await json(res)).code, url).toMatch(/TARGET_NOT_ALLOWED|INVALID_REQUEST/);
    }
    const ok = await create('https://93.184.216.34/hook');
    expect(ok.status).toBe(201);
    const hook = await json<{ id: string; secret: string }>(ok);
    expect(hook.secret).toMatch(/^whsec_/);
    const listed = await json<{ items: Array<Record<string, unknown>> }>(await api.request('/v1/webhooks', { key: api.keys.admin }));
    expect(JSON.stringify(listed)).not.toContain(hook.secret);
    const patched = await api.request(`/v1/webhooks/${hook.id}`, { key: api.keys.admin, method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://10.1.2.3/' }) });
    expect(patched.status).toBe(400);
    const rotated = await json<{ secret: string; active: boolean }>(await api.request(`/v1/webhooks/${hook.id}`, { key: api.keys.admin, method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rotateSecret: true, active: false }) }));
    expect(rotated.secret).not.toBe(hook.secret);
    expect(rotated.active).toBe(false);
    expect((await api.request(`/v1/webhooks/${hook.id}/deliveries`, { key: api.keys.admin })).status).toBe(200);
    expect((await api.request(`/v1/webhooks/${hook.id}`, { key: api.keys.admin, method: 'DELETE' })).status).toBe(204);
    expect((await api.request(`/v1/webhooks/${hook.id}`, { key: api.keys.admin })).status).toBe(404);
  });

  it('refuses hostile uploads before storing anything: empty, oversized, not a supported type by its bytes', async () => {
    const small = await testApi({ settings: { maxDirectUploadBytes: 1_000 } });
    try {
      const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
        small.request('/v1/invoices?name=..%2F..%2Fevil.pdf', { key: small.keys.reviewer, method: 'POST', headers: { 'content-type': 'application/pdf', ...headers }, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
      expect((await json(await post(new Uint8Array(0)))).code).toBe('FILE_EMPTY');
      const big = await post(new Uint8Array(5_000).fill(37));
      expect(big.status).toBe(413);
      expect((await json(big)).code).toBe('FILE_TOO_LARGE');
      // A body larger than declared (chunked, no Content-Length) is cut off while read.
      const stream = new ReadableStream({ start(c) { for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(400)); c.close(); } });
      expect((await post(stream, {})).status).toBe(413);
      // Declared as a PDF, but the bytes are an executable / HTML: refused by magic bytes.
      for (const bytes of [new TextEncoder().encode('MZ\x90\x00 not a pdf'), new TextEncoder().encode('<html><script>alert(1)</script></html>')]) {
        const r = await post(bytes);
        expect(r.status).toBe(415);
        expect((await json(r)).code).toBe('UNSUPPORTED_TYPE');
      }
      expect(await small.deps.blobs.list('inbox', '')).toEqual([]);
      // A real PDF with a hostile name: stored under a server-chosen name inside the upload prefix.
      const ok = await post(tinyPdf());
      expect(ok.status).toBe(202);
      const [stored] = await small.deps.blobs.list('inbox', '');
      expect(stored!.name).toMatch(/^api\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\/evil\.pdf$/);
    } finally {
      await small.dispose();
    }
  });

  it('answers 429 with Retry-After past the per-key limit, per identity', async () => {
    const limited = await testApi({ settings: { rateLimitPerMinute: 5 } });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 7; i++) {
        last = await limited.request('/v1/me', { key: limited.keys.viewer });
        statuses.push(last.status);
        if (i === 0) expect(last.headers.get('ratelimit-limit')).toBe('5');
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const retryAfter = Number(last!.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await json(last!)).code).toBe('RATE_LIMITED');
      // Another key has its own budget; health is not counted.
      expect((await limited.request('/v1/me', { key: limited.keys.admin })).status).toBe(200);
      expect((await limited.request('/v1/health')).status).toBe(200);
    } finally {
      await limited.dispose();
    }
  });

  it('signs local upload URLs bound to type, exact size and expiry, usable once', async () => {
    const pdf = tinyPdf('signed');
    const signed = await json<{ url: string; headers: Record<string, string>; objectName: string; expiresAt: string }>(
      await api.request('/v1/uploads', { key: api.keys.reviewer, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fileName: '../../../etc/passwd.pdf', contentType: 'application/pdf', sizeBytes: pdf.byteLength }) }),
    );
    expect(signed.objectName).toMatch(/^api\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\/passwd\.pdf$/);
    const path = signed.url.replace(/^http:\/\/[^/]+/, '');
    const put = (body: Uint8Array<ArrayBuffer>, headers: Record<string, string>, target = path) => api.app.request(target, { method: 'PUT', headers, body });
    expect((await json(await put(pdf, { 'content-type': 'image/png', 'content-length': String(pdf.byteLength) }))).code).toBe('SIGNATURE_INVALID');
    expect((await json(await put(pdf.subarray(1), { 'content-type': 'application/pdf', 'content-length': String(pdf.byteLength - 1) }))).code).toBe('SIZE_MISMATCH');
    expect((await json(await put(pdf, { 'content-type': 'application/pdf', 'content-length': String(pdf.byteLength) }, path.replace(/signature=[0-9a-f]{4}/, 'signature=0000')))).code).toBe('SIGNATURE_INVALID');
    expect((await json(await put(pdf, { 'content-type': 'application/pdf', 'content-length': String(pdf.byteLength) }, path.replace('%2Fpasswd.pdf', '%2Fother.pdf')))).code).toBe('SIGNATURE_INVALID');
    const stored = await put(pdf, { ...signed.headers, 'content-length': String(pdf.byteLength) });
    expect(stored.status).toBe(201);
    expect((await json(stored)).invoiceId).toMatch(/^inv_[0-9a-f]{24}$/);
    expect((await put(pdf, { ...signed.headers, 'content-length': String(pdf.byteLength) })).status).toBe(409);
    // Refused before signing: unsupported type, oversize.
    const refuse = async (body: unknown) => (await json(await api.request('/v1/uploads', { key: api.keys.reviewer, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))).code;
    expect(await refuse({ fileName: 'x.exe', contentType: 'application/x-msdownload', sizeBytes: 10 })).toBe('UNSUPPORTED_TYPE');
    expect(await refuse({ fileName: 'x.pdf', contentType: 'application/pdf', sizeBytes: 10 ** 10 })).toBe('FILE_TOO_LARGE');
    // Expired: a clock past the expiry.
    const later = await testApi({ settings: { uploadTtlSeconds: 1 } });
    try {
      const s = await json<{ url: string; headers: Record<string, string> }>(await later.request('/v1/uploads', { key: later.keys.reviewer, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fileName: 'a.pdf', contentType: 'application/pdf', sizeBytes: pdf.byteLength }) }));
      later.deps.clock.now = () => new Date(Date.now() + 5_000);
      const r = await later.app.request(s.url.replace(/^http:\/\/[^/]+/, ''), { method: 'PUT', headers: { ...s.headers, 'content-length': String(pdf.byteLength) }, body: pdf });
      expect((await json(r)).code).toBe('SIGNATURE_INVALID');
    } finally {
      await later.dispose();
    }
  });

  it('renders page images of the stored original as PNG and caches them', async () => {
    const pdf = tinyPdf('page one');
    const stat = await api.deps.blobs.write({ bucket: 'inbox', name: 'api/pages/one.pdf' }, pdf);
    await api.deps.store.createIfAbsent({ ...scored('inv_pages', 200, 'APPROVE'), source: { bucket: 'inbox', name: stat.name, generation: stat.generation }, pageCount: 1, mimeType: 'application/pdf' });
    const list = await json<{ count: number; pages: Array<{ href: string }> }>(await api.request('/v1/invoices/inv_pages/pages', { key: api.keys.viewer }));
    expect(list).toMatchObject({ count: 1, pages: [{ href: '/v1/invoices/inv_pages/pages/1' }] });
    const res = await api.request('/v1/invoices/inv_pages/pages/1', { key: api.keys.viewer });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = new Uint8Array(await res.arrayBuffer());
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(await api.deps.blobs.stat({ bucket: 'artifacts', name: 'page-images/inv_pages/1.png' })).not.toBeNull();
    expect((await api.request('/v1/invoices/inv_pages/pages/2', { key: api.keys.viewer })).status).toBe(404);
    expect((await api.request('/v1/invoices/inv_pages/pages/1', { key: api.keys.viewer, headers: { 'if-none-match': res.headers.get('etag')! } })).status).toBe(304);
  });
});
