/**
 * functions/index.ts as the platform loads it: registering the functions reads no configuration and builds
 * no client; a function whose environment is incomplete fails its invocations (500 = retried), never the load.
 */
import type { AddressInfo } from 'node:net';
import { getFunction, getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryMode, pubsubPublishedEvent, storageFinalizedEvent } from './cloud-events.js';

const envReads: string[] = [];
const realEnv = process.env;

describe('functions/index.ts', () => {
  beforeAll(async () => {
    for (const key of Object.keys(realEnv)) if (key.startsWith('LEDGERX_') || key === 'GOOGLE_CLOUD_PROJECT') delete realEnv[key];
    process.env = new Proxy(realEnv, {
      get(target, key, receiver) {
        if (typeof key === 'string' && (key.startsWith('LEDGERX_') || key === 'GOOGLE_CLOUD_PROJECT')) envReads.push(key);
        return Reflect.get(target, key, receiver);
      },
    });
    await import('../../functions/index.js');
  });
  afterAll(() => {
    process.env = realEnv;
  });

  it('registers the deployed entry points without reading their configuration', () => {
    for (const name of ['ocr', 'features', 'inference', 'webhooks', 'upload-url', 'api', 'retrain', 'drift-check', 'batch']) expect(getFunction(name), name).toBeTypeOf('function');
    expect(envReads).toEqual([]);
  });

  async function post(name: string, init: RequestInit): Promise<Response> {
    const server = getTestServer(name);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      return await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, init);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it.each([
    ['ocr', binaryMode(storageFinalizedEvent({ bucket: 'b', name: 'a.pdf', generation: '1', size: 1 }))],
    ['features', binaryMode(pubsubPublishedEvent({ topic: 't', payload: {} }))],
    ['inference', binaryMode(pubsubPublishedEvent({ topic: 't', payload: {} }))],
  ])('%s answers 500 (redelivery) while its environment is incomplete', async (name, event) => {
    const res = await post(name, { method: 'POST', headers: event.headers, body: event.body });
    expect(res.status).toBe(500);
    expect(envReads).toContain('GOOGLE_CLOUD_PROJECT');
  });

  it('upload-url answers 500 MISCONFIGURED while its environment is incomplete', async () => {
    const res = await post('upload-url', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'MISCONFIGURED', message: 'the function is misconfigured' } });
  });

  it('batch answers 500 MISCONFIGURED to a valid body while its environment is incomplete', async () => {
    const res = await post('batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"job":"sweep"}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'MISCONFIGURED', message: 'the function is misconfigured' } });
  });
});
