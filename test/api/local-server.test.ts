/**
 * The API served over HTTP by the local server (what `ledgerx serve` starts) on a real local runtime: real
 * invoices through the real pipeline, uploaded directly (with the bounded wait, twice, and at the same time with
 * one Idempotency-Key) and through a local signed URL; webhooks posted to receivers on loopback (allowed here by
 * configuration, as tests need) that answer, fail with 500 before answering, or never answer; server-sent events;
 * `/metrics`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../functions/generator/index.js';
import { verifyWebhookSignature } from '../../functions/core/api/webhook-signature.js';
import { Topics } from '../../functions/core/messages.js';
import { startLocalApi, type LocalApi } from '../../functions/api/local/server.js';
import type { LocalRuntime } from '../../functions/platform/local-runtime.js';
import { tempDir, testRuntime } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

interface Received { body: string; headers: Record<string, string | string[] | undefined>; at: number }

/** A webhook receiver on loopback; `answer` decides each response (null = never answer). */
async function receiver(answer: (n: number) => number | null): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ body, headers: req.headers, at: Date.now() });
      const status = answer(received.length);
      if (status === null) return; // hang: the sender's timeout ends it
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const until = async <T>(fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('the local API server over HTTP on the real pipeline', () => {
  let runtime: LocalRuntime;
  let disposeRuntime: () => Promise<void>;
  let api: LocalApi;
  let pdfs: Array<Uint8Array<ArrayBuffer>>;
  let work: { dir: string; dispose: () => Promise<void> };
  const hooks: Array<Awaited<ReturnType<typeof receiver>>> = [];

  beforeAll(async () => {
    work = await tempDir('api-pdfs');
    await generateCorpus({ outDir: work.dir, count: 6, seed: 91, mix: BORN_DIGITAL_ONLY, problemRates: NO_PROBLEMS });
    const names = (await readdir(work.dir)).filter((f) => f.endsWith('.pdf')).sort();
    pdfs = await Promise.all(names.map(async (n) => new Uint8Array(await readFile(join(work.dir, n)))));
    ({ runtime, dispose: disposeRuntime } = await testRuntime());
    api = await startLocalApi({
      runtime,
      dataDir: dirname(runtime.blobs.rootDir),
      port: 0,
      settings: { webhookAllowPrivateTargets: true, pollIntervalMs: 50, eventStreamSeconds: 30 },
      webhookRetry: { maxAttempts: 3, baseMs: 150, maxMs: 400 },
      webhookTimeoutMs: 400,
    });
  });
  afterAll(async () => {
    for (const h of hooks) await h.close();
    await api?.close();
    await disposeRuntime?.();
    await work?.dispose();
  });

  const call = (path: string, init: RequestInit = {}, key = api.adminKey) =>
    fetch(`${api.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) } });
  const upload = (bytes: Uint8Array<ArrayBuffer>, query = '', headers: Record<string, string> = {}) =>
    call(`/v1/invoices${query}`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream', ...headers } });

  it('listens on loopback and prints nothing but its URL and a working admin key', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${api.url}/v1/health`)).status).toBe(200);
    expect(await (await call('/v1/me')).json()).toMatchObject({ role: 'admin', kind: 'api-key' });
    await expect(startLocalApi({ runtime, dataDir: dirname(runtime.blobs.rootDir), host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback/);
  });

  it('takes a direct upload and answers with the decision when it settles within the wait', async () => {
    const res = await upload(pdfs[0]!, '?name=first.pdf&wait=60s');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { invoiceId: string; status: string; decision: string; settled: boolean };
    expect(body).toMatchObject({ status: 'SCORED', settled: true, decision: expect.stringMatching(/APPROVE|REVIEW/) });
    expect(res.headers.get('location')).toBe(`/v1/invoices/${body.invoiceId}`);
    const detail = (await (await call(`/v1/invoices/${body.invoiceId}`)).json()) as { invoice: { fileName: string; invoice: { fields: Record<string, { confidence: number }> }; decision: { scores: unknown } } };
    expect(detail.invoice.fileName).toBe('first.pdf');
    expect(detail.invoice.invoice.fields.total_amount?.confidence).toBeGreaterThan(0);
    // Without a wait: 202 at once.
    const quick = await upload(pdfs[1]!, '?name=second.pdf');
    expect(quick.status).toBe(202);
    expect(await quick.json()).toMatchObject({ settled: false, replayed: false });
  });

  it('makes the same file uploaded twice two invoices, the second a duplicate', async () => {
    const a = (await (await upload(pdfs[2]!, '?name=twice.pdf&wait=60s')).json()) as { invoiceId: string; decision: string };
    const b = (await (await upload(pdfs[2]!, '?name=twice.pdf&wait=60s')).json()) as { invoiceId: string; decision: string };
    expect(a.invoiceId).not.toBe(b.invoiceId);
    expect(b.decision).toBe('REJECT');
    const second = (await (await call(`/v1/invoices/${b.invoiceId}`)).json()) as { invoice: { decision: { reasons: Array<{ code: string }> } } };
    expect(second.invoice.decision.reasons.map((r) => r.code)).toContain('DUP_CONTENT_HASH');
  });

  it('makes five concurrent uploads with one Idempotency-Key one invoice, and refuses the key for other content', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => upload(pdfs[3]!, '?name=idem.pdf', { 'idempotency-key': 'erp-4711' })));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ invoiceId: string; replayed: boolean }>;
    expect(new Set(bodies.map((b) => b.invoiceId)).size).toBe(1);
    expect(bodies.filter((b) => !b.replayed)).toHaveLength(1);
    const other = await upload(pdfs[4]!, '?name=idem.pdf', { 'idempotency-key': 'erp-4711' });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { code: string }).code).toBe('IDEMPOTENCY_CONFLICT');
    // Another caller's same key is another upload.
    const viewerless = (await (await call('/v1/api-keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'erp2', role: 'reviewer' }) })).json()) as { key: string };
    const theirs = (await (await call('/v1/invoices?name=idem.pdf', { method: 'POST', body: pdfs[3]!, headers: { 'idempotency-key': 'erp-4711' } }, viewerless.key)).json()) as { invoiceId: string };
    expect(theirs.invoiceId).not.toBe(bodies[0]!.invoiceId);
  });

  it('uploads through a local signed URL, which starts the pipeline', async () => {
    const signed = (await (await call('/v1/uploads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fileName: 'browser.pdf', contentType: 'application/pdf', sizeBytes: pdfs[5]!.byteLength }) })).json()) as { url: string; headers: Record<string, string> };
    expect(signed.url.startsWith(`${api.url}/v1/uploads/local?`)).toBe(true);
    const put = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: pdfs[5]! });
    expect(put.status).toBe(201);
    const { invoiceId } = (await put.json()) as { invoiceId: string };
    const settled = await until(async () => {
      const r = (await (await call(`/v1/invoices/${invoiceId}`)).json()) as { invoice?: { status: string } };
      return r.invoice && ['SCORED', 'REJECTED', 'FAILED'].includes(r.invoice.status) ? r.invoice.status : undefined;
    });
    expect(settled).toBe('SCORED');
  });

  it('posts each decision to every webhook, signed; retries 500s and timeouts with backoff, logs every attempt, and never posts a delivered decision twice', async () => {
    const ok = await receiver(() => 204);
    const flaky = await receiver((n) => (n <= 2 ? 500 : 200));
    const silent = await receiver(() => null);
    hooks.push(ok, flaky, silent);
    const created: Array<{ id: string; secret: string }> = [];
    for (const h of [ok, flaky, silent]) {
      const res = await call('/v1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: h.url }) });
      expect(res.status).toBe(201);
      created.push((await res.json()) as { id: string; secret: string });
    }
    const { invoiceId } = (await (await upload(pdfs[1]!, '?name=hooked.pdf&wait=60s')).json()) as { invoiceId: string };
    const log = (id: string) => call(`/v1/webhooks/${id}/deliveries?invoiceId=${invoiceId}`).then((r) => r.json()) as Promise<{ items: Array<{ status: string; attempts: Array<{ responseStatus?: number; error?: string }> }> }>;
    const settledLog = async (id: string) => until(async () => {
      const { items } = await log(id);
      return items[0] && items[0].status !== 'pending' ? items[0] : undefined;
    });
    const [okLog, flakyLog, silentLog] = [await settledLog(created[0]!.id), await settledLog(created[1]!.id), await settledLog(created[2]!.id)];
    expect(okLog).toMatchObject({ status: 'succeeded', attempts: [{ responseStatus: 204 }] });
    expect(flakyLog.status).toBe('succeeded');
    expect(flakyLog.attempts.map((a) => a.responseStatus)).toEqual([500, 500, 200]);
    expect(silentLog.status).toBe('failed');
    expect(silentLog.attempts.map((a) => a.error)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    // Backoff: the flaky receiver's attempts are spaced by at least the policy's delays (150 ms, then 300 ms).
    const mine = flaky.received.filter((r) => r.body.includes(invoiceId));
    expect(mine[1]!.at - mine[0]!.at).toBeGreaterThanOrEqual(140);
    expect(mine[2]!.at - mine[1]!.at).toBeGreaterThanOrEqual(280);
    // Every post is signed with the webhook's secret over the exact body, and names its delivery.
    for (const [i, h] of [ok, flaky].entries()) {
      for (const r of h.received.filter((x) => x.body.includes(invoiceId))) {
        expect(verifyWebhookSignature(created[i]!.secret, r.body, r.headers['ledgerx-signature'] as string, new Date()).ok).toBe(true);
        expect(verifyWebhookSignature('whsec_wrong', r.body, r.headers['ledgerx-signature'] as string, new Date()).ok).toBe(false);
        expect(JSON.parse(r.body)).toMatchObject({ type: 'invoice.scored', data: { invoiceId, href: `/v1/invoices/${invoiceId}` } });
        expect(r.headers['ledgerx-delivery']).toMatch(/^dlv_/);
      }
    }
    // The bus delivers at least once: the same decision again changes nothing for settled deliveries.
    const before = ok.received.length;
    const record = await runtime.store.get(invoiceId);
    await runtime.bus.publish(Topics.invoiceScored, {
      schemaVersion: 1, invoiceId, revision: record!.revision, featureSchemaVersion: record!.featureSchemaVersion ?? 'x', decision: record!.decision!.decision, modelVersions: {},
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(ok.received.length).toBe(before);
    expect((await log(created[0]!.id)).items).toHaveLength(1);
  });

  it('streams invoice updates as server-sent events', async () => {
    const controller = new AbortController();
    const res = await call('/v1/events', { signal: controller.signal, headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
        if (/event: invoice\ndata: .*"status":"SCORED"/.test(text)) return;
      }
    })();
    await until(async () => (text.includes('event: ready') ? true : undefined), 10_000);
    const { invoiceId } = (await (await upload(pdfs[4]!, '?name=live.pdf')).json()) as { invoiceId: string };
    await Promise.race([read, new Promise((_, reject) => setTimeout(() => reject(new Error(`no event in: ${text}`)), 60_000))]);
    controller.abort();
    expect(text).toContain(invoiceId);
  });

  it('serves Prometheus metrics: invoices by status and decision, stage latencies, queue depth, model versions', async () => {
    const res = await fetch(`${api.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/ledgerx_invoices\{status="SCORED",decision="(APPROVE|REVIEW)"\} [1-9]/);
    expect(text).toMatch(/ledgerx_stage_duration_seconds_count\{stage="ocr"\} [1-9]/);
    expect(text).toContain('ledgerx_queue_depth');
    expect(text).toContain('ledgerx_model_info');
    expect(text).toContain('ledgerx_dead_letters_pending 0');
  });
});
