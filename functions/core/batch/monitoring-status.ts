/**
 * The monitoring part of the daily summary: the latest drift verdict (with its date and where its HTML report
 * is), the performance of each production model at that check (realized F1 on reviewed invoices, estimated F1
 * over every prediction) and the operations actions waiting for someone (pending approval, or approved and
 * not yet executed). Read from the monitoring stores through their ports; "not configured" without them.
 */
import type { BlobRef } from '../messages.js';
import type { OpsStore } from '../monitoring/ops.js';
import type { DriftReportStore } from '../monitoring/report.js';
import type { MonitoringSection } from './summary-model.js';

/** The monitoring stores the summary reads, wired by the composition root when monitoring is deployed. */
export interface MonitoringReaders {
  reports: DriftReportStore;
  ops: OpsStore;
  /** A link to a report page for the summary's HTML (a relative path locally, a Cloud Storage URL on GCP). */
  reportHref?: (ref: BlobRef) => string;
}

/** Actions listed at most (the count is complete). */
const MAX_ACTIONS = 50;

const round3 = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);

export async function monitoringSection(readers: MonitoringReaders | undefined): Promise<MonitoringSection> {
  if (!readers) return { configured: false, note: 'not configured' };
  const [latestPage, pending, approved] = await Promise.all([
    readers.reports.list({ limit: 1 }),
    readers.ops.actions({ status: 'pending-approval', limit: MAX_ACTIONS }),
    readers.ops.actions({ status: 'approved', limit: MAX_ACTIONS }),
  ]);
  const latest = latestPage.items[0] ? await readers.reports.get(latestPage.items[0].id) : null;
  const actions = [...pending, ...approved].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? -1 : 1));
  return {
    configured: true,
    drift: latest
      ? {
          reportId: latest.id,
          checkedAt: latest.createdAt,
          window: latest.window,
          verdict: latest.status,
          driftedFeatures: latest.drift?.driftedFeatures ?? 0,
          driftedShare: round3(latest.drift?.driftedShare ?? 0) ?? 0,
          driftedScores: latest.drift?.driftedScores ?? [],
          report: latest.html ? { ...latest.html, ...(readers.reportHref ? { href: readers.reportHref(latest.html) } : {}) } : null,
        }
      : null,
    performance: latest
      ? latest.performance
          .map((p) => ({
            model: p.model,
            version: p.version,
            referenceF1: round3(p.referenceF1),
            realizedF1: round3(p.realized?.f1),
            realizedRows: p.realized?.rows ?? 0,
            estimatedF1: round3(p.estimated?.f1),
            estimatedRows: p.estimated?.rows ?? 0,
            below: p.below,
          }))
          .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0))
      : [],
    pendingActions: {
      count: actions.length,
      items: actions.slice(0, MAX_ACTIONS).map((a) => ({ id: a.id, type: a.type, risk: a.risk, status: a.status, subject: a.subject, createdAt: a.createdAt })),
    },
  };
}
