/**
 * Typed configuration of each deployed function, read from its environment (set by infra/, see
 * infra/README.md "Contract with the code"). One zod schema per function; each reports EVERY problem in one
 * error, so a bad deployment is fixed in one round. Read lazily on the first invocation, never at module
 * load: one package serves every function, each with a different environment.
 */
import { z } from 'zod';
import { Topics, type Topic } from '../../core/messages.js';
import { PipelineConfigSchema, type PipelineConfig } from '../../core/pipeline/config.js';

/** Thrown when the environment does not satisfy a function's schema; the message lists every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly functionName: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration of function ${functionName}: ${problems.join('; ')}`);
  }
}

export type Env = Record<string, string | undefined>;

const Required = z.string({ error: 'is required' }).trim().min(1, 'is required');
const PositiveInt = z
  .string({ error: 'is required' })
  .regex(/^\d+$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().positive('must be a positive integer'));
const Bool = z.stringbool({ error: 'must be true or false' });

/** Present in the environment of every function (infra `common_env`). */
const CommonEnv = z.object({
  LEDGERX_RUNTIME: z.literal('gcp', { error: 'must be "gcp" for the Cloud Functions entry points' }).default('gcp'),
  LEDGERX_ENVIRONMENT: z.string().default('dev'),
  GOOGLE_CLOUD_PROJECT: Required,
  LEDGERX_REGION: z.string().optional(),
  LEDGERX_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LEDGERX_FUNCTION: z.string().optional(),
  /** The function's own identity; V4 URLs are signed as it (IAM signBlob) when no key is configured. */
  LEDGERX_SERVICE_ACCOUNT: z.email('must be a service account email').optional(),
});

/** The environment of the three pipeline stages (ocr, features, inference). */
const PipelineEnv = CommonEnv.extend({
  LEDGERX_INBOX_BUCKET: Required,
  LEDGERX_ARTIFACTS_BUCKET: Required,
  LEDGERX_FIRESTORE_DATABASE: z.string().min(1).default('(default)'),
  LEDGERX_COLLECTION_INVOICES: z.string().min(1).default('invoices'),
  LEDGERX_COLLECTION_IDEMPOTENCY: z.string().min(1).default('idempotency'),
  /** The topic Cloud Storage notifications of the inbox go to (read by ocr's push subscription). */
  LEDGERX_TOPIC_OBJECT_FINALIZED: z.string().min(1).default(Topics.objectFinalized),
  LEDGERX_TOPIC_OCR_COMPLETED: Required,
  LEDGERX_TOPIC_FEATURES: Required,
  LEDGERX_TOPIC_INVOICE_SCORED: Required,
  LEDGERX_TOPIC_DEAD_LETTER: Required,
  LEDGERX_MAX_EVENT_AGE_MS: PositiveInt.optional(),
  /** Share of auto-approved invoices drawn for the review queue's audit sample when scored (inference; the api's value). */
  LEDGERX_AUDIT_SAMPLE_RATE: z.string().transform(Number).pipe(z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1')).optional(),
  /**
   * `max_delivery_attempts` of the push subscription that feeds the function: on that attempt a failure is
   * dead-lettered with its reason and the invoice marked FAILED, instead of being retried.
   */
  LEDGERX_MAX_DELIVERY_ATTEMPTS: PositiveInt.pipe(z.number().min(5, 'must be 5-100 (the Pub/Sub limits)').max(100, 'must be 5-100 (the Pub/Sub limits)')),
  /** Only objects under this prefix of the inbox are invoices (default: the whole bucket). */
  LEDGERX_INBOX_PREFIX: z.string().default(''),
  LEDGERX_EINVOICE: Bool.default(true),
  LEDGERX_IDEMPOTENCY_TTL_MS: PositiveInt.optional(),
});

const OcrEnv = PipelineEnv.extend({
  LEDGERX_DOCAI_LOCATION: Required,
  /** Full resource name `projects/P/locations/L/processors/X/processorVersions/V`: that version is called. */
  LEDGERX_DOCAI_PROCESSOR_VERSION: z
    .string({ error: 'is required' })
    .regex(/^projects\/[^/]+\/locations\/[^/]+\/processors\/[^/]+\/processorVersions\/[^/]+$/, 'must be a full processor version resource name'),
  /**
   * `host:port` of a Document AI endpoint reached over plain gRPC, without TLS or credentials: a local stand-in
   * for tests and emulated runs (there is no Document AI emulator). Never set on GCP.
   */
  LEDGERX_DOCAI_ENDPOINT: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'must be host:port').optional(),
  /**
   * Document AI requests per minute this instance may send: the project quota divided by the ocr function's
   * maximum instances (Terraform computes it), so that all instances together stay under the quota.
   */
  LEDGERX_DOCAI_REQUESTS_PER_MINUTE: PositiveInt,
  /** Files beyond the online limits go to batch processing (the Document AI agent has bucket access). */
  LEDGERX_DOCAI_BATCH_ENABLED: Bool.default(false),
  /** Collection of the monthly page counters. */
  LEDGERX_COLLECTION_USAGE: z.string().min(1).default('usage'),
  LEDGERX_UPLOAD_MAX_BYTES: PositiveInt.optional(),
  LEDGERX_OCR_MAX_PAGES: PositiveInt.optional(),
  LEDGERX_OCR_TIMEOUT_MS: PositiveInt.optional(),
  LEDGERX_OCR_LANGUAGES: z.string().optional(),
});

/** Document AI's page limits (NOTES.md): online requests take 15 pages, batch requests 200. */
const DOCUMENT_AI_PAGES = { online: 15, batch: 200 } as const;

const InferenceEnv = PipelineEnv.extend({
  LEDGERX_MODELS_BUCKET: Required,
});

const UploadUrlEnv = CommonEnv.extend({
  LEDGERX_INBOX_BUCKET: Required,
  LEDGERX_UPLOAD_MAX_BYTES: PositiveInt.default(40 * 1024 * 1024),
  LEDGERX_UPLOAD_URL_TTL_SECONDS: PositiveInt.pipe(z.number().max(7 * 24 * 3600, 'V4 signed URLs last at most 7 days')).default(900),
  /** Prefix of server-chosen object names. */
  LEDGERX_UPLOAD_PREFIX: z.string().regex(/^([^/]+\/)*$/, 'must be empty or end with /').default('inbox/'),
  /** Comma- or newline-separated bearer tokens accepted in addition to the platform's IAM check. */
  LEDGERX_API_TOKENS: z.string().optional(),
});

function parseEnv<S extends z.ZodType>(functionName: string, schema: S, env: Env): z.infer<S> {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(functionName, problems);
  return parsed.data;
}

// ------------------------------------------------------------------------------------------ typed configs

export interface CommonConfig {
  functionName: string;
  projectId: string;
  environment: string;
  region?: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  serviceAccount?: string | undefined;
}

export interface FirestoreConfig {
  databaseId: string;
  collections: { invoices: string; idempotency: string };
}

export interface StageConfig extends CommonConfig {
  pipeline: PipelineConfig;
  firestore: FirestoreConfig;
  /** Core topic -> Pub/Sub topic id. */
  topics: Record<Topic, string>;
  /** The last delivery attempt of the function's push subscription (its dead-letter policy). */
  maxDeliveryAttempts: number;
}

export interface DocumentAiConfig {
  location: string;
  processorVersion: string;
  /** Plain-gRPC endpoint `host:port` (tests, emulated runs); undefined = Google's endpoint of `location`. */
  endpoint?: string | undefined;
  /** This instance's share of the project's online request quota. */
  requestsPerMinute: number;
  /** Whether files beyond the online limits go to batch processing (else they are rejected). */
  batch: boolean;
  /** Firestore collection of the monthly page counters. */
  usageCollection: string;
}

export interface OcrFunctionConfig extends StageConfig {
  documentAi: DocumentAiConfig;
}

export interface InferenceFunctionConfig extends StageConfig {
  modelsBucket: string;
}

export interface UploadUrlConfig extends CommonConfig {
  inboxBucket: string;
  objectPrefix: string;
  maxBytes: number;
  ttlSeconds: number;
  /** Accepted bearer tokens; empty = only the platform's IAM authentication applies. */
  apiTokens: string[];
}

function common(functionName: string, env: z.infer<typeof CommonEnv>): CommonConfig {
  return {
    functionName,
    projectId: env.GOOGLE_CLOUD_PROJECT,
    environment: env.LEDGERX_ENVIRONMENT,
    region: env.LEDGERX_REGION,
    logLevel: env.LEDGERX_LOG_LEVEL,
    serviceAccount: env.LEDGERX_SERVICE_ACCOUNT,
  };
}

function stage(
  functionName: string,
  env: z.infer<typeof PipelineEnv>,
  ocr: Partial<PipelineConfig['ocr']> = {},
): StageConfig {
  const pipeline = PipelineConfigSchema.parse({
    buckets: { inbox: env.LEDGERX_INBOX_BUCKET, artifacts: env.LEDGERX_ARTIFACTS_BUCKET },
    inboxPrefix: env.LEDGERX_INBOX_PREFIX,
    ocr,
    einvoice: env.LEDGERX_EINVOICE,
    ...(env.LEDGERX_IDEMPOTENCY_TTL_MS ? { idempotencyTtlMs: env.LEDGERX_IDEMPOTENCY_TTL_MS } : {}),
    ...(env.LEDGERX_MAX_EVENT_AGE_MS ? { maxEventAgeMs: env.LEDGERX_MAX_EVENT_AGE_MS } : {}),
    ...(env.LEDGERX_AUDIT_SAMPLE_RATE !== undefined ? { auditSampleRate: env.LEDGERX_AUDIT_SAMPLE_RATE } : {}),
  });
  return {
    ...common(functionName, env),
    pipeline,
    firestore: {
      databaseId: env.LEDGERX_FIRESTORE_DATABASE,
      collections: { invoices: env.LEDGERX_COLLECTION_INVOICES, idempotency: env.LEDGERX_COLLECTION_IDEMPOTENCY },
    },
    topics: {
      // Cloud Storage publishes the inbox's notifications here; no function does. The name is also where a
      // replay republishes a dead-lettered upload event.
      [Topics.objectFinalized]: env.LEDGERX_TOPIC_OBJECT_FINALIZED,
      [Topics.ocrCompleted]: env.LEDGERX_TOPIC_OCR_COMPLETED,
      [Topics.featuresComputed]: env.LEDGERX_TOPIC_FEATURES,
      [Topics.invoiceScored]: env.LEDGERX_TOPIC_INVOICE_SCORED,
      [Topics.deadLetter]: env.LEDGERX_TOPIC_DEAD_LETTER,
    },
    maxDeliveryAttempts: env.LEDGERX_MAX_DELIVERY_ATTEMPTS,
  };
}

/**
 * Config of `ocr` (always Document AI: the offline engine is never deployed). Pages are limited to the batch
 * limit when batch processing is on, else to the online limit, unless LEDGERX_OCR_MAX_PAGES says otherwise.
 * Throws {@link ConfigError} listing every problem.
 */
export function loadOcrConfig(env: Env = process.env): OcrFunctionConfig {
  const e = parseEnv('ocr', OcrEnv, env);
  const ocr: Partial<PipelineConfig['ocr']> = {
    ...(e.LEDGERX_UPLOAD_MAX_BYTES ? { maxBytes: e.LEDGERX_UPLOAD_MAX_BYTES } : {}),
    maxPages: e.LEDGERX_OCR_MAX_PAGES ?? (e.LEDGERX_DOCAI_BATCH_ENABLED ? DOCUMENT_AI_PAGES.batch : DOCUMENT_AI_PAGES.online),
    ...(e.LEDGERX_OCR_TIMEOUT_MS ? { timeoutMs: e.LEDGERX_OCR_TIMEOUT_MS } : {}),
    ...(e.LEDGERX_OCR_LANGUAGES ? { languages: e.LEDGERX_OCR_LANGUAGES.split(',').map((l) => l.trim()).filter(Boolean) } : {}),
  };
  return {
    ...stage('ocr', e, ocr),
    documentAi: {
      location: e.LEDGERX_DOCAI_LOCATION,
      processorVersion: e.LEDGERX_DOCAI_PROCESSOR_VERSION,
      endpoint: e.LEDGERX_DOCAI_ENDPOINT,
      requestsPerMinute: e.LEDGERX_DOCAI_REQUESTS_PER_MINUTE,
      batch: e.LEDGERX_DOCAI_BATCH_ENABLED,
      usageCollection: e.LEDGERX_COLLECTION_USAGE,
    },
  };
}

/** Config of `features`. Throws {@link ConfigError} listing every problem. */
export function loadFeaturesConfig(env: Env = process.env): StageConfig {
  return stage('features', parseEnv('features', PipelineEnv, env));
}

/** Config of `inference`. Throws {@link ConfigError} listing every problem. */
export function loadInferenceConfig(env: Env = process.env): InferenceFunctionConfig {
  const e = parseEnv('inference', InferenceEnv, env);
  return { ...stage('inference', e), modelsBucket: e.LEDGERX_MODELS_BUCKET };
}

/** Config of `upload-url`. Throws {@link ConfigError} listing every problem. */
export function loadUploadUrlConfig(env: Env = process.env): UploadUrlConfig {
  const e = parseEnv('upload-url', UploadUrlEnv, env);
  return {
    ...common('upload-url', e),
    inboxBucket: e.LEDGERX_INBOX_BUCKET,
    objectPrefix: e.LEDGERX_UPLOAD_PREFIX,
    maxBytes: e.LEDGERX_UPLOAD_MAX_BYTES,
    ttlSeconds: e.LEDGERX_UPLOAD_URL_TTL_SECONDS,
    apiTokens: (e.LEDGERX_API_TOKENS ?? '').split(/[\s,]+/).filter(Boolean),
  };
}

const OpsEnv = z.object({
  GOOGLE_CLOUD_PROJECT: Required,
  LEDGERX_FIRESTORE_DATABASE: z.string().min(1).default('(default)'),
  LEDGERX_COLLECTION_INVOICES: z.string().min(1).default('invoices'),
  LEDGERX_COLLECTION_USAGE: z.string().min(1).default('usage'),
  /** The subscription that holds dead letters for inspection and replay (Terraform: `dead-letter-hold`). */
  LEDGERX_DEAD_LETTER_SUBSCRIPTION: z.string().min(1).default('dead-letter-hold'),
});

/** What `ledgerx ... --cloud` needs to read and replay a deployed environment's dead letters and usage. */
export interface CloudOpsConfig {
  projectId: string;
  firestore: { databaseId: string; invoices: string; usage: string };
  deadLetterSubscription: string;
}

/**
 * Config of the CLI's `--cloud` commands, from the operator's environment (GOOGLE_CLOUD_PROJECT and the
 * names Terraform uses by default). Throws {@link ConfigError} listing every problem.
 */
export function loadCloudOpsConfig(env: Env = process.env): CloudOpsConfig {
  const e = parseEnv('ledgerx --cloud', OpsEnv, env);
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    firestore: { databaseId: e.LEDGERX_FIRESTORE_DATABASE, invoices: e.LEDGERX_COLLECTION_INVOICES, usage: e.LEDGERX_COLLECTION_USAGE },
    deadLetterSubscription: e.LEDGERX_DEAD_LETTER_SUBSCRIPTION,
  };
}
