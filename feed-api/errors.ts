import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorHandler } from 'hono';
import type { z } from 'zod';
import { childLogger } from '../core/logger.ts';

export interface ErrorBody {
  error: { code: string; message: string; fields?: { field: string; message: string }[]; request_id?: string };
}

/** The one error type routes throw; its response is JSON and never contains a stack trace. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly fields?: { field: string; message: string }[],
    readonly headers?: Record<string, string>,
  ) {
    super(status, { message });
  }

  static fromZod(error: z.ZodError, where: string): ApiError {
    const fields = error.issues.map((i) => ({ field: [where, ...i.path].join('.'), message: i.message }));
    return new ApiError(400, 'invalid_request', fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
  }

  override getResponse(): Response {
    const body: ErrorBody = { error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) } };
    return new Response(JSON.stringify(body), {
      status: this.status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...this.headers },
    });
  }
}

const log = childLogger('feed-api');

export const onError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return err.getResponse();
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : 'http_error';
    return new ApiError(status as ContentfulStatusCode, code, err.message || 'request failed').getResponse();
  }
  log.error({ err, path: c.req.path, request_id: c.get('requestId') }, 'unhandled error');
  return new ApiError(500, 'internal_error', 'internal error; see server logs').getResponse();
};
