/**
 * Errors as RFC 9457 problem details (`application/problem+json`) with a stable machine-readable `code`:
 * clients branch on `code`, never on `title` or `detail`, which are for people and may change.
 */
import { z } from '@hono/zod-openapi';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://ledgerx.dev/problems/RATE_LIMITED' }),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ description: 'Stable error code (see the README, API section).', example: 'RATE_LIMITED' }),
    detail: z.string().optional(),
    instance: z.string().optional().openapi({ description: 'The request id, also in the X-Request-Id header.' }),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');
export type Problem = z.infer<typeof ProblemSchema>;

/** The codes this API answers with, with their HTTP status and title. */
export const PROBLEMS = {
  UNAUTHENTICATED: [401, 'Authentication required'],
  INVALID_CREDENTIALS: [401, 'Invalid credentials'],
  EXPIRED_CREDENTIALS: [401, 'Expired credentials'],
  FORBIDDEN: [403, 'Role not allowed'],
  NOT_FOUND: [404, 'Not found'],
  METHOD_NOT_ALLOWED: [405, 'Method not allowed'],
  INVALID_REQUEST: [400, 'Invalid request'],
  INVALID_CURSOR: [400, 'Invalid cursor'],
  UNSUPPORTED_TYPE: [415, 'Unsupported file type'],
  FILE_TOO_LARGE: [413, 'File too large'],
  FILE_EMPTY: [400, 'Empty file'],
  LENGTH_REQUIRED: [411, 'Length required'],
  SIZE_MISMATCH: [400, 'Size does not match'],
  SIGNATURE_INVALID: [403, 'Invalid or expired signature'],
  IDEMPOTENCY_CONFLICT: [409, 'Idempotency key reused with other content'],
  CONFLICT: [409, 'Conflict'],
  ALREADY_REVIEWED: [409, 'Already reviewed by another reviewer'],
  TARGET_NOT_ALLOWED: [400, 'Webhook target not allowed'],
  RATE_LIMITED: [429, 'Too many requests'],
  NOT_AVAILABLE: [501, 'Not available in this runtime'],
  RENDER_FAILED: [422, 'Page cannot be rendered'],
  INTERNAL: [500, 'Internal error'],
  UNAVAILABLE: [503, 'Temporarily unavailable'],
} as const satisfies Record<string, readonly [number, string]>;
export type ProblemCode = keyof typeof PROBLEMS;

/** Thrown by route code; the app's error handler turns it into a problem response. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    detail?: string,
    readonly extra: { headers?: Record<string, string>; issues?: Array<{ path: string; message: string }> } = {},
  ) {
    super(detail ?? PROBLEMS[code][1]);
    this.status = PROBLEMS[code][0];
  }
}

export function problemBody(code: ProblemCode, detail: string | undefined, requestId: string | undefined, issues?: Problem['issues']): Problem {
  const [status, title] = PROBLEMS[code];
  return {
    type: `https://ledgerx.dev/problems/${code}`,
    title,
    status,
    code,
    ...(detail && detail !== title ? { detail } : {}),
    ...(requestId ? { instance: requestId } : {}),
    ...(issues ? { issues } : {}),
  };
}

/** A problem response for OpenAPI route definitions (every route lists the ones it can answer). */
export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});
