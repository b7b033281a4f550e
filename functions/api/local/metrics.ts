/**
 * `/metrics` of the local server, in Prometheus text format (prom-client): invoices by status and decision,
 * stage latencies (from the timings of the invoices settled while the server runs), bus queue depth per
 * subscription, pending dead letters, the production model versions, and the process's own metrics.
 */
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SqliteDatabase } from '../../adapters/local/sqlite/database.js';
import { invoiceCounts, pendingDeadLetters, queueDepths } from '../../adapters/local/sqlite/runtime-counts.js';
import type { InvoiceRecord } from '../../core/invoice/record.js';
import type { ModelRegistry } from '../../core/ports.js';

export interface LocalMetrics {
  /** Records the stage timings of a settled invoice. */
  observe(record: InvoiceRecord): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createLocalMetrics(db: SqliteDatabase, models: ModelRegistry): LocalMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ledgerx_process_' });
  new Gauge({
    name: 'ledgerx_invoices', help: 'Invoices in the local database by status and decision.', labelNames: ['status', 'decision'], registers: [registry],
    collect() {
      this.reset();
      for (const r of invoiceCounts(db)) this.set({ status: r.status, decision: r.decision || 'none' }, r.count);
    },
  });
  new Gauge({
    name: 'ledgerx_queue_depth', help: 'Bus messages accepted and not yet acked, per subscription.', labelNames: ['subscription'], registers: [registry],
    collect() {
      this.reset();
      for (const r of queueDepths(db)) this.set({ subscription: r.subscription }, r.count);
    },
  });
  new Gauge({
    name: 'ledgerx_dead_letters_pending', help: 'Dead letters not replayed yet.', registers: [registry],
    collect() {
      this.set(pendingDeadLetters(db));
    },
  });
  new Gauge({
    name: 'ledgerx_model_info', help: 'Production model versions (value 1 per model and version).', labelNames: ['model', 'version'], registers: [registry],
    async collect() {
      this.reset();
      // No production model (an empty registry) is a state the gauge shows by having no series, not a scrape error.
      const loaded = await models.loadProduction().catch(() => null);
      for (const [model, version] of Object.entries(loaded?.versions ?? {})) this.set({ model, version }, 1);
    },
  });
  const stages = new Histogram({
    name: 'ledgerx_stage_duration_seconds', help: 'Duration of each pipeline stage, per invoice settled since the server started.', labelNames: ['stage'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
  });
  return {
    observe(record) {
      for (const [stage, ms] of Object.entries(record.timings ?? {})) if (Number.isFinite(ms)) stages.observe({ stage }, ms / 1000);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
