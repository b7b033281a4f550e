import { describe, expect, it } from 'vitest';
import {
  ConfigError, loadCloudOpsConfig, loadFeaturesConfig, loadInferenceConfig, loadOcrConfig, loadUploadUrlConfig, type Env,
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
  LEDGERX_MAX_EVENT_AGE_MS: '21600000',
  LEDGERX_MAX_DELIVERY_ATTEMPTS: '10',
  LEDGERX_TOPIC_OBJECT_FINALIZED: 'ledgerx-dev-object-finalized',
  LEDGERX_SERVICE_ACCOUNT: 'ledgerx-dev-ocr@ledgerx-dev.iam.gserviceaccount.com',
};
const PROCESSOR = 'projects/123/locations/eu/processors/abc/processorVersions/pretrained-invoice-v2.0-2023-12-06';
/** What Terraform adds for ocr (event_functions.ocr.env). */
const OCR: Env = {
  ...COMMON,
  LEDGERX_FUNCTION: 'ocr',
  LEDGERX_DOCAI_LOCATION: 'eu',
  LEDGERX_DOCAI_PROCESSOR_VERSION: PROCESSOR,
  LEDGERX_DOCAI_REQUESTS_PER_MINUTE: '60',
  LEDGERX_UPLOAD_MAX_BYTES: '41943040',
};

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
    const c = loadOcrConfig(OCR);
    expect(c.functionName).toBe('ocr');
    expect(c.projectId).toBe('ledgerx-dev');
    expect(c.documentAi).toEqual({ location: 'eu', processorVersion: PROCESSOR, requestsPerMinute: 60, batch: false, usageCollection: 'usage', endpoint: undefined });
    expect(c.pipeline.buckets).toEqual({ inbox: 'ledgerx-dev-inbox', artifacts: 'ledgerx-dev-artifacts' });
    expect(c.pipeline.ocr.maxBytes).toBe(41943040);
    expect(c.pipeline.maxEventAgeMs).toBe(21_600_000);
    expect(c.maxDeliveryAttempts).toBe(10);
    expect(c.topics).toMatchObject({ 'object-finalized': 'ledgerx-dev-object-finalized', 'ocr-completed': 'ledgerx-dev-ocr-completed', 'dead-letter': 'ledgerx-dev-dead-letter' });
    expect(c.firestore).toEqual({ databaseId: '(default)', collections: { invoices: 'invoices', idempotency: 'idempotency' } });
  });

  it('runs Document AI only: the offline engine is not an option of the deployed function', () => {
    expect(loadOcrConfig({ ...OCR, LEDGERX_OCR_ENGINE: 'local' })).not.toHaveProperty('ocrEngine');
    const err = configErrorOf(() => loadOcrConfig({ ...OCR, LEDGERX_DOCAI_LOCATION: undefined, LEDGERX_DOCAI_PROCESSOR_VERSION: undefined }));
    expect(err.problems.map((p) => p.split(' ')[0]).sort()).toEqual(['LEDGERX_DOCAI_LOCATION', 'LEDGERX_DOCAI_PROCESSOR_VERSION']);
  });

  it('reaches a local Document AI stand-in over plain gRPC only when LEDGERX_DOCAI_ENDPOINT is set', () => {
    expect(loadOcrConfig({ ...OCR, LEDGERX_DOCAI_ENDPOINT: '127.0.0.1:50051' }).documentAi.endpoint).toBe('127.0.0.1:50051');
    expect(configErrorOf(() => loadOcrConfig({ ...OCR, LEDGERX_DOCAI_ENDPOINT: 'http://x' })).problems[0]).toMatch(/^LEDGERX_DOCAI_ENDPOINT/);
  });

  it('accepts files up to the batch limits when batch processing is on, the online limits otherwise', () => {
    expect(loadOcrConfig(OCR).pipeline.ocr.maxPages).toBe(15);
    const batch = loadOcrConfig({ ...OCR, LEDGERX_DOCAI_BATCH_ENABLED: 'true' });
    expect(batch.documentAi.batch).toBe(true);
    expect(batch.pipeline.ocr.maxPages).toBe(200);
    expect(loadOcrConfig({ ...OCR, LEDGERX_DOCAI_BATCH_ENABLED: 'true', LEDGERX_OCR_MAX_PAGES: '50' }).pipeline.ocr.maxPages).toBe(50);
  });

  it("requires this instance's Document AI request rate and the subscription's last delivery attempt", () => {
    const err = configErrorOf(() => loadOcrConfig({ ...OCR, LEDGERX_DOCAI_REQUESTS_PER_MINUTE: undefined, LEDGERX_MAX_DELIVERY_ATTEMPTS: '3' }));
    expect(err.problems.map((p) => p.split(' ')[0]).sort()).toEqual(['LEDGERX_DOCAI_REQUESTS_PER_MINUTE', 'LEDGERX_MAX_DELIVERY_ATTEMPTS']);
    expect(configErrorOf(() => loadFeaturesConfig({ ...COMMON, LEDGERX_MAX_DELIVERY_ATTEMPTS: undefined })).problems).toEqual([
      'LEDGERX_MAX_DELIVERY_ATTEMPTS is required',
    ]);
  });

  it('reports every problem at once, in one message', () => {
    const err = configErrorOf(() =>
      loadOcrConfig({ ...OCR, GOOGLE_CLOUD_PROJECT: '', LEDGERX_TOPIC_FEATURES: undefined, LEDGERX_MAX_EVENT_AGE_MS: 'soon', LEDGERX_DOCAI_PROCESSOR_VERSION: 'v2', LEDGERX_DOCAI_LOCATION: undefined }),
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

  it('gives `ledgerx --cloud` the names Terraform uses unless told otherwise, and needs the project', () => {
    expect(loadCloudOpsConfig({ GOOGLE_CLOUD_PROJECT: 'ledgerx-dev' })).toEqual({
      projectId: 'ledgerx-dev',
      firestore: { databaseId: '(default)', invoices: 'invoices', usage: 'usage' },
      deadLetterSubscription: 'dead-letter-hold',
    });
    expect(loadCloudOpsConfig({ GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_DEAD_LETTER_SUBSCRIPTION: 'dl-hold' }).deadLetterSubscription).toBe('dl-hold');
    expect(configErrorOf(() => loadCloudOpsConfig({})).problems).toEqual(['GOOGLE_CLOUD_PROJECT is required']);
  });
});
