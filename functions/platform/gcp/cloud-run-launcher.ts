/**
 * Starts an execution of a Cloud Run job through the Cloud Run Admin API v2 (`jobs.run`), with the job
 * record's id as an environment override, authenticated with the instance's identity (metadata server
 * token). No client library: one REST call keeps the trigger function's bundle and cold start small.
 */
import { z } from 'zod';

export interface JobLauncher {
  /** Returns the execution's resource name. Throws on a non-2xx answer (the caller retries). */
  launch(env: Record<string, string>): Promise<string>;
}

export type TokenSource = () => Promise<string>;
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

const TokenSchema = z.object({ access_token: z.string().min(1) });
const OperationSchema = z.object({ name: z.string().optional(), metadata: z.object({ name: z.string().optional() }).loose().optional() }).loose();

/** The access token of the function's own service account, from the metadata server. */
export function metadataToken(fetchFn: Fetch = fetch as unknown as Fetch): TokenSource {
  return async () => {
    const res = await fetchFn('http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token', { method: 'GET', headers: { 'Metadata-Flavor': 'Google' } });
    if (!res.ok) throw new Error(`metadata token request failed with ${res.status}`);
    return TokenSchema.parse(JSON.parse(await res.text())).access_token;
  };
}

export function cloudRunJobLauncher(options: { projectId: string; region: string; jobName: string; token: TokenSource; fetch?: Fetch; endpoint?: string }): JobLauncher {
  const fetchFn = options.fetch ?? (fetch as unknown as Fetch);
  const base = options.endpoint ?? 'https://run.googleapis.com';
  const url = `${base}/v2/projects/${encodeURIComponent(options.projectId)}/locations/${encodeURIComponent(options.region)}/jobs/${encodeURIComponent(options.jobName)}:run`;
  return {
    async launch(env) {
      const body = { overrides: { containerOverrides: [{ env: Object.entries(env).map(([name, value]) => ({ name, value })) }] } };
      const res = await fetchFn(url, { method: 'POST', headers: { Authorization: `Bearer ${await options.token()}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`Cloud Run jobs.run answered ${res.status}: ${text.slice(0, 300)}`);
      const op = OperationSchema.parse(JSON.parse(text || '{}'));
      return op.metadata?.name ?? op.name ?? 'unknown';
    },
  };
}
