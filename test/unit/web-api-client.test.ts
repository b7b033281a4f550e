/**
 * The web page's API client: a 503 with Retry-After (the review store busy; the action is stored once) is sent
 * again after the pause, at most twice; a 503 without it, and other errors, reach the page as ApiError at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../../functions/web/app/api.js';

const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ code, detail: `${code} detail` }), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });

describe('web API client', () => {
  let answers: Response[];
  let sent: number;
  beforeEach(() => {
    sent = 0;
    vi.stubGlobal('sessionStorage', { getItem: () => 'key-1' });
    vi.stubGlobal('fetch', async () => { sent += 1; return answers.shift()!; });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('sends an action again after a 503 with Retry-After, and returns the answer it then gets', async () => {
    answers = [problem(503, 'UNAVAILABLE', { 'Retry-After': '0' }), new Response(JSON.stringify({ unchanged: false }), { status: 200 })];
    await expect(api('/v1/invoices/x/review', { method: 'POST', body: { decision: 'approve' } })).resolves.toEqual({ unchanged: false });
    expect(sent).toBe(2);
  });

  it('gives up after two resends, and does not resend a 503 without Retry-After or a 409', async () => {
    answers = [0, 1, 2].map(() => problem(503, 'UNAVAILABLE', { 'Retry-After': '0' }));
    await expect(api('/v1/x', { method: 'POST', body: {} })).rejects.toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(sent).toBe(3);
    sent = 0;
    answers = [problem(503, 'UNAVAILABLE')];
    await expect(api('/v1/x')).rejects.toBeInstanceOf(ApiError);
    expect(sent).toBe(1);
    sent = 0;
    answers = [problem(409, 'ALREADY_REVIEWED', { 'Retry-After': '0' })];
    await expect(api('/v1/x', { method: 'POST', body: {} })).rejects.toMatchObject({ status: 409, code: 'ALREADY_REVIEWED' });
    expect(sent).toBe(1);
  });
});
