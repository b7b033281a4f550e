/**
 * `GET /v1/events`: server-sent events of invoice updates for the web app's live view. One stream per page
 * (counted once against the caller's rate limit when it opens), closed by the server after
 * `eventStreamSeconds` (under the function's timeout on GCP) with a `retry:` hint so the browser reconnects.
 * EventSource cannot send an Authorization header: read it with fetch() streaming (as the web app does).
 */
import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { ApiModule } from '../modules.js';
import type { InvoiceUpdate } from '../updates.js';

const HEARTBEAT_MS = 15_000;

export const eventsModule: ApiModule = {
  name: 'events',
  register(app, { route, deps }) {
    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/events', tags: ['events'],
        summary: 'Server-sent events: `invoice` events ({invoiceId, status, decision, at}) as invoices change; the stream ends after a while, reconnect.',
        responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } } },
      }),
      (c) =>
        streamSSE(c, async (stream) => {
          const queue: InvoiceUpdate[] = [];
          let wake: (() => void) | undefined;
          const unsubscribe = deps.updates.subscribe((u) => {
            queue.push(u);
            wake?.();
          });
          let closed = false;
          stream.onAbort(() => {
            closed = true;
            wake?.();
          });
          const until = Date.now() + deps.settings.eventStreamSeconds * 1000;
          try {
            await stream.writeSSE({ event: 'ready', data: JSON.stringify({ at: deps.clock.now().toISOString() }), retry: 2_000 });
            let lastBeat = Date.now();
            let seq = 0;
            while (!closed && Date.now() < until) {
              while (queue.length > 0) {
                const u = queue.shift()!;
                await stream.writeSSE({ event: 'invoice', id: String(++seq), data: JSON.stringify(u) });
              }
              if (Date.now() - lastBeat >= HEARTBEAT_MS) {
                await stream.write(': keep-alive\n\n');
                lastBeat = Date.now();
              }
              await new Promise<void>((resolve) => {
                wake = resolve;
                setTimeout(resolve, Math.min(1_000, Math.max(1, until - Date.now())));
              });
              wake = undefined;
            }
          } finally {
            unsubscribe();
          }
        }),
    );
  },
};
