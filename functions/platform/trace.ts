import { z } from 'zod';

/** W3C traceparent: version-traceid-spanid-flags. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export const TraceContextSchema = z.object({ traceId: z.string(), spanId: z.string(), sampled: z.boolean() });
export type TraceContext = z.infer<typeof TraceContextSchema>;

/** Parses a traceparent header; returns undefined for anything malformed (a bad header must not fail work). */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  const m = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!m || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1 };
}

/** Cloud Logging's special fields that join a log entry to its trace. */
export function traceLogFields(traceparent: string | undefined, projectId: string | undefined): Record<string, unknown> {
  const ctx = parseTraceparent(traceparent);
  if (!ctx) return {};
  return {
    'logging.googleapis.com/trace': projectId ? `projects/${projectId}/traces/${ctx.traceId}` : ctx.traceId,
    'logging.googleapis.com/spanId': ctx.spanId,
    'logging.googleapis.com/trace_sampled': ctx.sampled,
  };
}
