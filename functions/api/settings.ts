import type { ApiSettings } from './context.js';

/** The API's defaults; each runtime overrides what its environment sets. */
export function defaultSettings(runtime: 'gcp' | 'local'): ApiSettings {
  return {
    rateLimitPerMinute: 100,
    userRateLimitPerMinute: 600,
    corsOrigins: [],
    hsts: runtime === 'gcp',
    maxUploadBytes: 40 * 1024 * 1024,
    maxDirectUploadBytes: 10 * 1024 * 1024,
    uploadTtlSeconds: 900,
    uploadPrefix: 'api/',
    auditSampleRate: 0.05,
    // GCP: under the function's 60 s timeout, with room for the upload itself.
    maxWaitSeconds: runtime === 'gcp' ? 45 : 60,
    pollIntervalMs: runtime === 'gcp' ? 1_000 : 200,
    eventStreamSeconds: runtime === 'gcp' ? 50 : 300,
    webhookAllowPrivateTargets: false,
    webhookRequireHttps: runtime === 'gcp',
  };
}
