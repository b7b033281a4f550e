import { describe, expect, it } from 'vitest';
import {
  ConfigError, loadFeaturesConfig, loadInferenceConfig, loadOcrConfig, loadUploadUrlConfig, type Env,
} from '../../functions/platform/gcp/config.js';

/** The environment Terraform sets on every function (infra/modules/pipeline/functions.tf `common_env`). */
const COMMON: Env = {
  LEDGERX_RUNTIME: 'gcp',
  LEDGERX_ENVIRONMENT: 'dev',
  GOOGLE_CLOUD_PROJECT: 'ledgerx-dev',
  LEDGERX_REGION: 'europe-west1',
  LEDGERX_LOG_LEVEL: 'info',
  LEDGERX_INBOX_BUCKET: 'ledgerx-dev-inbox',
  LEDGERX_ARTIFACTS_BUCKET: 'ledgerx-dev-artifacts',
  LEDGERX_MODELS_BUCKET: 'ledgerx-dev-models',
  LEDGERX_EXPORTS_BUCKET: 'ledgerx-dev-exports',
  LEDGERX_FIRESTORE_DATABASE: '(default)',
  LEDGERX_COLLECTION_INVOICES: 'invoices',
  LEDGERX_COLLECTION_IDEMPOTENCY: 'idempotency',
  LEDGERX_TOPIC_OCR_COMPLETED: 'ledgerx-dev-ocr-completed',
  LEDGERX_TOPIC_FEATURES: 'ledgerx-dev-features-computed',
  LEDGERX_TOPIC_INVOICE_SCORED: 'ledgerx-dev-invoice-scored',
  LEDGERX_TOPIC_RETRAIN: 'ledgerx-dev-retrain-requested',
  LEDGERX_TOPIC_DEAD_LETTER: 'ledgerx-dev-dead-letter',
  LEDGERX_MAX_EVENT_AGE_MS: '86400000',
  LEDGERX_SERVICE_ACCOUNT: 'ledgerx-dev-ocr@ledgerx-dev.iam.gserviceaccount.com',
};
const PROCESSOR = 'projects/123/locations/eu/processors/abc/processorVersions/pretrained-invoice-v2.0-2023-12-06';

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('per-function config from the environment', () => {
  it('builds the ocr config from the Terraform environment', () => {
    const c = loadOcrConfig({ ...COMMON, LEDGERX_FUNCTION: 'ocr', LEDGERX_DOCAI_LOCATION: 'eu', LEDGERX_DOCAI_PROCESSOR_VERSION: PROCESSOR, LEDGERX_UPLOAD_MAX_BYTES: '41943040' });
    expect(c.functionName).toBe('ocr');
    expect(c.projectId).toBe('ledgerx-dev');
    expect(c.ocrEngine).toEqual({ kind: 'documentai', location: 'eu', processorVersion: PROCESSOR });
    expect(c.pipeline.buckets).toEqual({ inbox: 'ledgerx-dev-inbox', artifacts: 'ledgerx-dev-artifacts' });
    expect(c.pipeline.ocr.maxBytes).toBe(41943040);
    expect(c.pipeline.maxEventAgeMs).toBe(86_400_000);
    expect(c.topics).toMatchObject({ 'ocr-completed': 'ledgerx-dev-ocr-completed', 'dead-letter': 'ledgerx-dev-dead-letter' });
    expect(c.firestore).toEqual({ databaseId: '(default)', collections: { invoices: 'invoices', idempotency: 'idempotency' } });
  });

  it('lets the ocr function run the local engine without Document AI settings', () => {
    expect(loadOcrConfig({ ...COMMON, LEDGERX_OCR_ENGINE: 'local' }).ocrEngine).toEqual({ kind: 'local' });
  });

  it('reports every problem at once, in one message', () => {
    const err = configErrorOf(() =>
      loadOcrConfig({ ...COMMON, GOOGLE_CLOUD_PROJECT: '', LEDGERX_TOPIC_FEATURES: undefined, LEDGERX_MAX_EVENT_AGE_MS: 'soon', LEDGERX_DOCAI_PROCESSOR_VERSION: 'v2' }),
    );
    expect(err.functionName).toBe('ocr');
    const keys = err.problems.map((p) => p.split(' ')[0]);
    expect(keys).toEqual(expect.arrayContaining(['GOOGLE_CLOUD_PROJECT', 'LEDGERX_TOPIC_FEATURES', 'LEDGERX_MAX_EVENT_AGE_MS', 'LEDGERX_DOCAI_PROCESSOR_VERSION', 'LEDGERX_DOCAI_LOCATION']));
    for (const key of keys) expect(err.message).toContain(key!);
  });

  it('requires the models bucket of inference only', () => {
    const env = { ...COMMON, LEDGERX_MODELS_BUCKET: undefined };
    expect(loadFeaturesConfig(env).functionName).toBe('features');
    expect(configErrorOf(() => loadInferenceConfig(env)).problems).toEqual(['LEDGERX_MODELS_BUCKET is required']);
    expect(loadInferenceConfig(COMMON).modelsBucket).toBe('ledgerx-dev-models');
  });

  it('refuses another runtime and a bad log level', () => {
    const err = configErrorOf(() => loadFeaturesConfig({ ...COMMON, LEDGERX_RUNTIME: 'local', LEDGERX_LOG_LEVEL: 'loud' }));
    expect(err.problems.map((p) => p.split(' ')[0]).sort()).toEqual(['LEDGERX_LOG_LEVEL', 'LEDGERX_RUNTIME']);
  });

  it('builds the upload-url config with defaults and the optional API tokens', () => {
    const env = { GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_INBOX_BUCKET: 'inbox', LEDGERX_API_TOKENS: 'abc, sha256:' + 'a'.repeat(64) + '\nxyz#uploader' };
    const c = loadUploadUrlConfig(env);
    expect(c).toMatchObject({ inboxBucket: 'inbox', objectPrefix: 'inbox/', maxBytes: 40 * 1024 * 1024, ttlSeconds: 900 });
    expect(c.apiTokens).toEqual(['abc', 'sha256:' + 'a'.repeat(64), 'xyz#uploader']);
    expect(loadUploadUrlConfig({ GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_INBOX_BUCKET: 'inbox' }).apiTokens).toEqual([]);
    const err = configErrorOf(() => loadUploadUrlConfig({ LEDGERX_UPLOAD_URL_TTL_SECONDS: '999999999', LEDGERX_UPLOAD_MAX_BYTES: '0' }));
    expect(err.problems).toHaveLength(4);
  });
});
