/**
 * Test doubles for the entry points: a stage runtime on the embedded adapters (filesystem bucket, SQLite
 * stores, the offline OCR engine) with a recording bus in place of Pub/Sub, and an HTTP server around a
 * function registered with functions-framework (`getTestServer`) on an ephemeral port.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { MessageSchemas, Topics, type MessageOf, type Topic } from '../../functions/core/messages.js';
import type { EventBus, LogFields, OcrEngine } from '../../functions/core/ports.js';
import type { PipelineDeps } from '../../functions/core/pipeline/deps.js';
import { PipelineConfigSchema, type PipelineConfigInput } from '../../functions/core/pipeline/config.js';
import { ValidationConfigSchema } from '../../functions/core/validation/index.js';
import { DecisionThresholdsSchema } from '../../functions/core/scoring/decide.js';
import {
  createFsBlobStore, openLedgerDatabase, SqliteIdempotencyStore, SqliteInvoiceStore, type FsBlobStore,
} from '../../functions/adapters/local/index.js';
import { createLogger, silentLogger } from '../../functions/platform/logger.js';
import type { StageRuntime } from '../../functions/platform/gcp/wiring.js';
import { tempDir } from '../helpers/runtime.js';
import type { HttpEvent } from './cloud-events.js';

export interface Published {
  topic: Topic;
  message: unknown;
}

/** An EventBus that validates like the Pub/Sub adapter, records every message, and can be made to fail. */
export interface RecordingBus extends EventBus {
  readonly published: Published[];
  of<T extends Topic>(topic: T): Array<MessageOf<T>>;
  /** The next `count` publishes to `topic` throw `error`. */
  failNext(topic: Topic, error: Error, count?: number): void;
}

export function createRecordingBus(): RecordingBus {
  const published: Published[] = [];
  const failures: Array<{ topic: Topic; error: Error }> = [];
  return {
    published,
    of: <T extends Topic>(topic: T) => published.filter((p) => p.topic === topic).map((p) => p.message as MessageOf<T>),
    failNext(topic, error, count = 1) {
      for (let i = 0; i < count; i++) failures.push({ topic, error });
    },
    async publish(topic, message) {
      const i = failures.findIndex((f) => f.topic === topic);
      if (i >= 0) throw failures.splice(i, 1)[0]!.error;
      published.push({ topic, message: MessageSchemas[topic].parse(message) });
      return String(published.length);
    },
  };
}

export const BUCKETS = { inbox: 'ledgerx-test-inbox', artifacts: 'ledgerx-test-artifacts' } as const;

export interface FakeStage {
  runtime: StageRuntime;
  deps: PipelineDeps;
  blobs: FsBlobStore;
  bus: RecordingBus;
  store: SqliteInvoiceStore;
  /** Every log entry written through the runtime's logger, parsed. */
  logs: LogFields[];
  dispose(): Promise<void>;
}

export interface FakeStageOptions {
  pipeline?: Partial<PipelineConfigInput>;
  /** Folder of the buckets and the database; default a fresh temp folder, removed by dispose(). */
  dir?: string;
  /** Default true: the offline engine (text layers only, no tesseract); false = a stage that must not OCR. */
  ocr?: boolean;
  logLevel?: 'debug' | 'silent';
  /** Folder of a model registry to score with (e.g. the repository's models/); default: no models. */
  modelsDir?: string;
  /** The push subscription's last delivery attempt; default 5. */
  maxDeliveryAttempts?: number;
}

/** Pub/Sub topic ids of the fake runtime: the core's topic names (as Terraform names them). */
export const TOPIC_IDS: Record<Topic, string> = Object.fromEntries(Object.values(Topics).map((t) => [t, t])) as Record<Topic, string>;

/** A stage runtime on the embedded adapters (imported lazily, so a cold-start probe loads only what it uses). */
export async function fakeStageRuntime(options: FakeStageOptions = {}): Promise<FakeStage> {
  const temp = options.dir ? null : await tempDir('fn');
  const dir = options.dir ?? temp!.dir;
  const db = openLedgerDatabase(`${dir}/ledgerx.db`);
  const clock = { now: () => new Date() };
  const blobs = createFsBlobStore(`${dir}/buckets`);
  const bus = createRecordingBus();
  const store = new SqliteInvoiceStore(db, clock);
  const ocr: OcrEngine & { close?: () => Promise<void> } =
    options.ocr === false
      ? { name: 'none', recognize: () => Promise.reject(new Error('this stage must not OCR')) }
      : (await import('../../functions/adapters/local/ocr/index.js')).createLocalOcrEngine({ ocr: false });
  const deps: PipelineDeps = {
    blobs, bus, store, clock, ocr,
    idempotency: new SqliteIdempotencyStore(db),
    models: options.modelsDir
      ? (await import('../../functions/adapters/onnx/file-model-registry.js')).createFileModelRegistry(options.modelsDir, silentLogger)
      : { loadProduction: async () => null },
    config: PipelineConfigSchema.parse({ buckets: BUCKETS, ocr: {}, ...options.pipeline }),
    validation: ValidationConfigSchema.parse({}),
    thresholds: DecisionThresholdsSchema.parse({}),
  };
  const logs: LogFields[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logs.push(JSON.parse(line) as LogFields);
      done();
    },
  });
  const log = createLogger({ level: options.logLevel ?? 'debug', destination: sink, base: { function: 'test' } });
  return {
    runtime: { deps, log, projectId: 'ledgerx-test', topics: TOPIC_IDS, maxDeliveryAttempts: options.maxDeliveryAttempts ?? 5 },
    deps, blobs, bus, store, logs,
    async dispose() {
      await ocr.close?.();
      db.close();
      await temp?.dispose();
    },
  };
}

export interface FunctionServer {
  url: string;
  /** POSTs an event (headers + body) to `path` and returns the status code. */
  post(event: HttpEvent, path?: string): Promise<number>;
  close(): Promise<void>;
}

/** Serves the registered function `name` with functions-framework's test server on 127.0.0.1:0. */
export async function serveFunction(name: string): Promise<FunctionServer> {
  const server: Server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async post(event, path = '/') {
      const res = await fetch(url + path, { method: 'POST', headers: event.headers, body: event.body });
      await res.arrayBuffer();
      return res.status;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
