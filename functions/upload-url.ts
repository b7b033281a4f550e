/**
 * `upload-url` (HTTP): issues a V4 signed PUT URL into the inbox bucket for one file. The platform
 * authenticates the caller (IAM `run.invoker`, no public invoker); when `LEDGERX_API_TOKENS` is set an
 * application bearer token is required as well (see platform/gcp/bearer-token.ts). What the URL binds and the
 * bucket CORS a browser PUT needs are described in platform/gcp/signed-url.ts.
 *
 * POST `{ fileName, contentType, sizeBytes }` -> 200 `{ url, method: 'PUT', headers, objectName, expiresAt }`;
 * 400 invalid body / unsupported type / too large, 401 bad token, 405 other methods, 500 signing failure.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { lazy } from './core/lazy.js';
import { errorFields } from './platform/logger.js';
import { bearerTokenAccepted } from './platform/gcp/bearer-token.js';
import { describeIssues } from './platform/gcp/envelopes.js';
import { signUpload, UploadRejectedError, UploadRequestSchema } from './platform/gcp/signed-url.js';
import { createUploadUrlRuntime } from './platform/gcp/runtimes/upload-url.js';
import type { UploadUrlRuntime } from './platform/gcp/wiring.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/**
 * The `upload-url` HTTP function over the runtime `getRuntime` returns. Never throws for a client error;
 * a configuration or signing failure answers 500 (logged with its error code only).
 */
export function makeUploadUrlHandler(getRuntime: () => Promise<UploadUrlRuntime>): HttpHandler {
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST');
      return fail(res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
    }
    let runtime: UploadUrlRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      // Printed on stderr: without a valid config there is no configured logger yet.
      console.error(JSON.stringify({ severity: 'ERROR', message: 'upload-url is misconfigured', ...errorFields(err) }));
      return fail(res, 500, 'MISCONFIGURED', 'the function is misconfigured');
    }
    const { config, log } = runtime;
    if (!bearerTokenAccepted(req.get('authorization'), config.apiTokens)) {
      res.set('WWW-Authenticate', 'Bearer');
      return fail(res, 401, 'UNAUTHENTICATED', 'a valid bearer token is required');
    }
    const body = UploadRequestSchema.safeParse(req.body);
    if (!body.success) return fail(res, 400, 'INVALID_REQUEST', describeIssues(body.error));
    try {
      const upload = await signUpload(runtime.signer, body.data, {
        bucket: config.inboxBucket,
        objectPrefix: config.objectPrefix,
        maxBytes: config.maxBytes,
        ttlSeconds: config.ttlSeconds,
        now: runtime.now(),
      });
      log.info('upload url issued', { sizeBytes: body.data.sizeBytes, contentType: upload.headers['Content-Type'] });
      res.status(200).json(upload);
    } catch (err) {
      if (err instanceof UploadRejectedError) {
        log.info('upload refused', { reasonCode: err.code, sizeBytes: body.data.sizeBytes });
        return fail(res, 400, err.code, err.message);
      }
      log.error('signing the upload url failed', errorFields(err));
      return fail(res, 500, 'SIGNING_FAILED', 'could not sign the upload url');
    }
  };
}

export const handler = makeUploadUrlHandler(lazy(() => createUploadUrlRuntime()));
