/**
 * The three event entry points served by functions-framework (getTestServer) on an ephemeral port, driven
 * with Pub/Sub push bodies as their subscriptions send them (a Cloud Storage notification for ocr, with the
 * `deliveryAttempt` of a subscription that has a dead-letter policy) and with CloudEvents as Eventarc sends them
 * (binary and structured mode). Status codes are the contract with the platform: 204 = ack, 500 = redeliver.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { http } from '@google-cloud/functions-framework';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../functions/core/errors.js';
import { Topics, type DeadLetter } from '../../functions/core/messages.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { makeOcrHandler } from '../../functions/ocr.js';
import { makeFeaturesHandler } from '../../functions/features.js';
import { makeInferenceHandler } from '../../functions/inference.js';
import { ConfigError } from '../../functions/platform/gcp/config.js';
import type { StageRuntime } from '../../functions/platform/gcp/wiring.js';
import { tempDir } from '../helpers/runtime.js';
import {
  binaryMode, newTraceparent, PROJECT, pubsubPublishedEvent, pushRequest, rawPushBody, storageFinalizedEvent, storageNotificationPush,
  structuredMode,
} from './cloud-events.js';
import { BUCKETS, fakeStageRuntime, serveFunction, type FakeStage, type FunctionServer } from './fakes.js';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

const NO_PROBLEMS = {
  missingField: 0, arithmetic: 0, invalidVatId: 0, invalidIban: 0, futureDate: 0, dueBeforeIssue: 0,
  unusualAmount: 0, exactDuplicate: 0, businessDuplicate: 0, nearDuplicate: 0, badFile: 0,
};

let stage: FakeStage;
let getRuntime: () => Promise<StageRuntime> = async () => stage.runtime;
http('ocr', makeOcrHandler(() => getRuntime()));
http('features', makeFeaturesHandler(() => getRuntime()));
http('inference', makeInferenceHandler(() => getRuntime()));

describe('event entry points (functions-framework, fake deps)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let ocr: FunctionServer;
  let features: FunctionServer;
  let inference: FunctionServer;
  let pdf: Buffer;

  beforeAll(async () => {
    const samples = await tempDir('fn-samples');
    cleanup.push(samples.dispose);
    const manifest = await generateCorpus({ outDir: samples.dir, count: 1, seed: 11, mix: BORN_DIGITAL_ONLY, problemRates: NO_PROBLEMS });
    pdf = await readFile(join(samples.dir, manifest.documents[0]!.file));
    ocr = await serveFunction('ocr');
    features = await serveFunction('features');
    inference = await serveFunction('inference');
    cleanup.push(ocr.close, features.close, inference.close);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  beforeEach(async () => {
    getRuntime = async () => stage.runtime;
    stage = await fakeStageRuntime();
    cleanup.push(() => stage.dispose());
  });

  /** Stores `bytes` in the inbox like an upload and returns its finalize CloudEvent (with the stored generation). */
  async function upload(name: string, bytes: Uint8Array, contentType = 'application/pdf', time = new Date()) {
    const stat = await stage.blobs.write({ bucket: BUCKETS.inbox, name }, bytes, { contentType });
    return storageFinalizedEvent({ bucket: BUCKETS.inbox, name, generation: stat.generation, size: bytes.length, contentType, time });
  }
  const objectOf = (ce: { data: unknown }) => {
    const d = ce.data as { bucket: string; name: string; generation: string; size: string; contentType: string };
    return { bucket: d.bucket, name: d.name, generation: d.generation, size: Number(d.size), contentType: d.contentType };
  };
  const deadLetters = () => stage.bus.of(Topics.deadLetter) as DeadLetter[];

  it('runs the chain upload -> SCORED: storage binary mode, Pub/Sub structured mode, raw push', async () => {
    const traceparent = newTraceparent();
    const ce = await upload('inbox/2025/06/30/u1-invoice.pdf', pdf);
    const data = ce.data as { generation: string };
    expect(await ocr.post(binaryMode({ ...ce, extensions: { ...ce.extensions, traceparent } }))).toBe(204);
    const invoiceId = invoiceIdFor(BUCKETS.inbox, 'inbox/2025/06/30/u1-invoice.pdf', data.generation);
    expect((await stage.store.get(invoiceId))?.status).toBe('OCR_DONE');
    const [ocrDone] = stage.bus.of(Topics.ocrCompleted);
    expect(ocrDone).toMatchObject({ invoiceId, traceparent, pageCount: 1 });

    expect(await features.post(structuredMode(pubsubPublishedEvent({ topic: 'ledgerx-ocr-completed', payload: ocrDone })))).toBe(204);
    expect((await stage.store.get(invoiceId))?.status).toBe('FEATURES_DONE');
    const [computed] = stage.bus.of(Topics.featuresComputed);
    expect(computed).toMatchObject({ invoiceId, traceparent });

    const topicPath = `/projects/${PROJECT}/topics/ledgerx-features-computed`;
    expect(await inference.post({ headers: { 'content-type': 'application/json' }, body: rawPushBody({ topic: 'ledgerx-features-computed', payload: computed }) }, topicPath)).toBe(204);
    const record = await stage.store.get(invoiceId);
    expect(record?.status).toBe('SCORED');
    expect(record?.decision?.decision).toMatch(/^(APPROVE|REVIEW|REJECT)$/);
    expect(stage.bus.of(Topics.invoiceScored)).toHaveLength(1);
    expect(deadLetters()).toEqual([]);

    // The chain's trace id reaches Cloud Logging's trace field on the entries of every hop.
    const traceId = traceparent.split('-')[1];
    const traced = stage.logs.filter((l) => l['logging.googleapis.com/trace'] === `projects/${PROJECT}/traces/${traceId}`);
    expect(new Set(traced.map((l) => l.stage).filter(Boolean))).toEqual(new Set(['ocr', 'features', 'inference']));
  });

  it('acks redeliveries of every hop without a second record or message', async () => {
    const ce = await upload('inbox/2025/06/30/u2.pdf', pdf);
    for (let i = 0; i < 3; i++) expect(await ocr.post(i % 2 ? structuredMode(ce) : binaryMode(ce))).toBe(204);
    const [done] = stage.bus.of(Topics.ocrCompleted);
    const msg = pubsubPublishedEvent({ topic: 't', payload: done });
    for (let i = 0; i < 3; i++) expect(await features.post(binaryMode(msg))).toBe(204);
    const [computed] = stage.bus.of(Topics.featuresComputed);
    for (let i = 0; i < 3; i++) expect(await inference.post(structuredMode(pubsubPublishedEvent({ topic: 't', payload: computed })))).toBe(204);
    expect(stage.bus.of(Topics.ocrCompleted)).toHaveLength(1);
    expect(stage.bus.of(Topics.featuresComputed)).toHaveLength(1);
    expect(stage.bus.of(Topics.invoiceScored)).toHaveLength(1);
  });

  it('acks an unreadable upload with the invoice REJECTED (permanent, no retry)', async () => {
    const ce = await upload('inbox/2025/06/30/empty.pdf', new Uint8Array(0));
    expect(await ocr.post(binaryMode(ce))).toBe(204);
    const record = await stage.store.get(invoiceIdFor(BUCKETS.inbox, 'inbox/2025/06/30/empty.pdf', (ce.data as { generation: string }).generation));
    expect(record?.status).toBe('REJECTED');
    expect(record?.rejection?.code).toBe('FILE_EMPTY');
  });

  it.each([
    ['a storage event without generation', () => ocr, async () => {
      const ce = await upload('inbox/x.pdf', pdf);
      delete (ce.data as Record<string, unknown>).generation;
      return binaryMode(ce);
    }, 'INVALID_MESSAGE'],
    ['a storage event with a numeric size', () => ocr, async () => {
      const ce = await upload('inbox/y.pdf', pdf);
      (ce.data as Record<string, unknown>).size = 12;
      return structuredMode(ce);
    }, 'INVALID_MESSAGE'],
    ['a Pub/Sub message that fails its schema', () => features, async () => binaryMode(pubsubPublishedEvent({ topic: 't', payload: { schemaVersion: 1, invoiceId: 'inv_x' } })), 'INVALID_MESSAGE'],
    ['Pub/Sub data that is not base64 JSON', () => features, async () => binaryMode(pubsubPublishedEvent({ topic: 't', payload: Buffer.from('{oops').toString('base64') })), 'INVALID_ENVELOPE'],
    ['an event of the wrong type', () => inference, async () => binaryMode({ ...pubsubPublishedEvent({ topic: 't', payload: {} }), type: 'google.cloud.storage.object.v1.finalized' }), 'INVALID_ENVELOPE'],
    ['a POST without CloudEvent attributes', () => inference, async () => ({ headers: { 'content-type': 'application/json' }, body: '{"hello":"world"}' }), 'INVALID_ENVELOPE'],
  ])('acks and dead-letters %s', async (_label, server, event, code) => {
    expect(await server().post(await event())).toBe(204);
    expect(deadLetters().map((d) => d.code)).toEqual([code]);
    expect(stage.bus.published.filter((p) => p.topic !== Topics.deadLetter)).toEqual([]);
  });

  it('drops (acks + dead-letters) events older than the maximum age without processing them', async () => {
    stage.deps.config.maxEventAgeMs = 3_600_000;
    const old = new Date(Date.now() - 2 * 3_600_000);
    const ce = await upload('inbox/old.pdf', pdf, 'application/pdf', old);
    expect(await ocr.post(binaryMode(ce))).toBe(204);
    expect(await features.post(binaryMode(pubsubPublishedEvent({ topic: 't', payload: {}, publishTime: old })))).toBe(204);
    expect(deadLetters().map((d) => d.code)).toEqual(['EVENT_TOO_OLD', 'EVENT_TOO_OLD']);
    expect(await stage.store.get(invoiceIdFor(BUCKETS.inbox, 'inbox/old.pdf', (ce.data as { generation: string }).generation))).toBeNull();
  });

  it('answers 500 on a transient failure and completes on the redelivery', async () => {
    const ce = await upload('inbox/2025/06/30/retry.pdf', pdf);
    stage.bus.failNext(Topics.ocrCompleted, new RetryableError('PUBSUB_14', 'unavailable'));
    expect(await ocr.post(binaryMode(ce))).toBe(500);
    expect(stage.bus.of(Topics.ocrCompleted)).toHaveLength(0);
    expect(await ocr.post(binaryMode(ce))).toBe(204);
    expect(stage.bus.of(Topics.ocrCompleted)).toHaveLength(1);
    expect(deadLetters()).toEqual([]);
  });

  it('answers 500 (redelivery, nothing lost) while the runtime cannot be built', async () => {
    getRuntime = async () => {
      throw new ConfigError('features', ['LEDGERX_TOPIC_FEATURES is required']);
    };
    expect(await features.post(binaryMode(pubsubPublishedEvent({ topic: 't', payload: {} })))).toBe(500);
  });

  it('runs the chain through push subscriptions: a Cloud Storage notification, then the stage topics', async () => {
    const ce = await upload('inbox/2025/06/30/push.pdf', pdf);
    expect(await ocr.post(storageNotificationPush(objectOf(ce), { deliveryAttempt: 1 }))).toBe(204);
    const invoiceId = invoiceIdFor(BUCKETS.inbox, 'inbox/2025/06/30/push.pdf', objectOf(ce).generation);
    const [done] = stage.bus.of(Topics.ocrCompleted);
    expect(done?.invoiceId).toBe(invoiceId);
    expect(await features.post(pushRequest({ topic: 'ocr-completed', payload: done, deliveryAttempt: 1 }))).toBe(204);
    const [computed] = stage.bus.of(Topics.featuresComputed);
    expect(await inference.post(pushRequest({ topic: 'features-computed', payload: computed, deliveryAttempt: 2 }))).toBe(204);
    expect((await stage.store.get(invoiceId))?.status).toBe('SCORED');
    expect(deadLetters()).toEqual([]);
  });

  it('acks (ignores) storage notifications that are not a new object', async () => {
    const ce = await upload('inbox/2025/06/30/meta.pdf', pdf);
    expect(await ocr.post(storageNotificationPush(objectOf(ce), { eventType: 'OBJECT_METADATA_UPDATE' }))).toBe(204);
    expect(stage.bus.published).toEqual([]);
  });

  it('answers 500 until the last delivery attempt, then dead-letters with the reason and marks the invoice FAILED; a replay finishes it', async () => {
    const ce = await upload('inbox/2025/06/30/poison.pdf', pdf);
    expect(await ocr.post(binaryMode(ce))).toBe(204);
    const [done] = stage.bus.of(Topics.ocrCompleted);
    const invoiceId = done!.invoiceId;
    stage.bus.failNext(Topics.featuresComputed, new RetryableError('PUBSUB_14', 'features-computed unavailable'), 5);
    const messageId = '4242';
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(await features.post(pushRequest({ topic: 'ocr-completed', payload: done, messageId, deliveryAttempt: attempt }))).toBe(500);
      // The record moves on, the publish fails: retried, never FAILED before the last attempt.
      expect((await stage.store.get(invoiceId))?.status).toBe('FEATURES_DONE');
    }
    expect(deadLetters()).toEqual([]);
    // Attempt 5 = the subscription's max_delivery_attempts: the handler records why, instead of Pub/Sub
    // forwarding the bare message.
    expect(await features.post(pushRequest({ topic: 'ocr-completed', payload: done, messageId, deliveryAttempt: 5 }))).toBe(204);
    const [entry] = deadLetters();
    expect(entry).toMatchObject({ code: 'PUBSUB_14', invoiceId, topic: 'ocr-completed', attempts: 5, payload: JSON.parse(JSON.stringify(done)) });
    expect(entry!.reason).toMatch(/features-computed unavailable.*gave up after 5 delivery attempts/);
    const failed = await stage.store.get(invoiceId);
    expect(failed?.status).toBe('FAILED');
    expect(failed?.rejection).toEqual({ code: 'PUBSUB_14', message: entry!.reason });

    // The replay republishes the payload: a new message, first attempt.
    expect(await features.post(pushRequest({ topic: 'ocr-completed', payload: entry!.payload, attributes: { replayOf: messageId }, deliveryAttempt: 1 }))).toBe(204);
    const [computed] = stage.bus.of(Topics.featuresComputed);
    expect(await inference.post(pushRequest({ topic: 'features-computed', payload: computed, deliveryAttempt: 1 }))).toBe(204);
    expect((await stage.store.get(invoiceId))?.status).toBe('SCORED');
  });

  it('ends a deleted upload REJECTED with OBJECT_GONE at once, instead of retrying it', async () => {
    const ce = await upload('inbox/2025/06/30/deleted.pdf', pdf);
    await stage.blobs.delete({ bucket: BUCKETS.inbox, name: 'inbox/2025/06/30/deleted.pdf' });
    expect(await ocr.post(storageNotificationPush(objectOf(ce), { deliveryAttempt: 1 }))).toBe(204);
    const record = await stage.store.get(invoiceIdFor(BUCKETS.inbox, 'inbox/2025/06/30/deleted.pdf', objectOf(ce).generation));
    expect(record?.status).toBe('REJECTED');
    expect(record?.rejection?.code).toBe('OBJECT_GONE');
  });

  it('reads the generation the event names: an overwrite before OCR never becomes the first invoice', async () => {
    const name = 'inbox/2025/06/30/overwritten.pdf';
    const first = await upload(name, pdf);
    const xml = await readFile(join(import.meta.dirname, '../fixtures/einvoice/cii-d16b-invoice.xml'));
    const second = await upload(name, xml, 'application/xml');
    expect(await ocr.post(storageNotificationPush(objectOf(first)))).toBe(204);
    expect(await ocr.post(storageNotificationPush(objectOf(second)))).toBe(204);
    const one = await stage.store.get(invoiceIdFor(BUCKETS.inbox, name, objectOf(first).generation));
    const two = await stage.store.get(invoiceIdFor(BUCKETS.inbox, name, objectOf(second).generation));
    expect(one?.status).toBe('REJECTED');
    expect(one?.rejection?.code).toBe('OBJECT_GONE');
    expect(one?.contentSha256).toBeUndefined();
    expect(two?.status).toBe('OCR_DONE');
    expect(two?.mimeType).toBe('application/xml');
    expect(stage.bus.of(Topics.ocrCompleted).map((m) => m.invoiceId)).toEqual([two?.invoiceId]);
  });

  it('ignores (acks) objects outside the inbox bucket', async () => {
    const ce = storageFinalizedEvent({ bucket: 'someone-else', name: 'a.pdf', generation: '1', size: 3 });
    expect(await ocr.post(binaryMode(ce))).toBe(204);
    expect(stage.bus.published).toEqual([]);
  });
});
