import type { IncomingMessage } from 'node:http';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Counter } from 'prom-client';
import type { z } from 'zod';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';

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

const clientAborts = new Counter({
  name: 'feed_http_client_aborts_total',
  help: 'Requests whose client closed the connection before sending the whole body (answered 499, not a server error)',
  labelNames: ['route'] as const,
  registers: [metrics],
});

/** Status recorded for a request whose client went away (nginx's convention); nobody receives the response. */
const CLIENT_CLOSED = 499;

/** The client closed the connection before its request body was complete (reading it failed with "aborted"). */
function clientWentAway(c: Context): boolean {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming !== undefined && incoming.destroyed && !incoming.complete;
}

export const onError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return err.getResponse();
  if (clientWentAway(c)) {
    clientAborts.inc({ route: routePath(c) || 'unmatched' });
    log.debug({ path: c.req.path, request_id: c.get('requestId') }, 'client closed the connection mid-request');
    return new Response(null, { status: CLIENT_CLOSED });
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : 'http_error';
    return new ApiError(status as ContentfulStatusCode, code, err.message || 'request failed').getResponse();
  }
  log.error({ err, path: c.req.path, request_id: c.get('requestId') }, 'unhandled error');
  return new ApiError(500, 'internal_error', 'internal error; see server logs').getResponse();
};
