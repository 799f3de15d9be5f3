import type { IncomingMessage } from 'node:http';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Counter } from 'prom-client';
import { z } from 'zod';
import { type ErrorCode, FeedError } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';

/** The body of every error response (documented once for all routes). */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('the request values that failed validation'),
  }),
});
type ErrorBody = z.infer<typeof ErrorSchema>;

/** The HTTP status of each error code: the only place the API decides one. */
const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_cursor: 400,
  unsupported_media_type: 415,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  too_many_events: 413,
  too_many_rows: 413,
  rate_limited: 429,
  kafka_unavailable: 503,
  clickhouse_unavailable: 503,
  internal_error: 500,
};

/** A 400 naming each field that failed `where` (query, path, body). */
export function invalidRequest(error: z.ZodError, where: string): FeedError {
  const fields = error.issues.map((i) => ({ field: [where, ...i.path].join('.'), message: i.message }));
  return new FeedError('invalid_request', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
}

/** A JSON error response; never contains a stack trace. */
function errorResponse(status: ContentfulStatusCode, error: ErrorBody['error'], headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

function feedErrorResponse(err: FeedError): Response {
  const headers: Record<string, string> = {};
  if (err.retryAfterS !== undefined) headers['retry-after'] = String(err.retryAfterS);
  if (err.code === 'unauthorized') headers['www-authenticate'] = 'Bearer';
  return errorResponse(STATUS[err.code], { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) }, headers);
}

export function notFound(c: Context): Response {
  return feedErrorResponse(new FeedError('not_found', `no route for ${c.req.method} ${c.req.path}`));
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
  return incoming?.destroyed === true && !incoming.complete;
}

export const onError: ErrorHandler = (err, c) => {
  // internal_error: a server fault that stays in the logs; every other code is for the caller.
  if (err instanceof FeedError && err.code !== 'internal_error') return feedErrorResponse(err);
  if (clientWentAway(c)) {
    clientAborts.inc({ route: routePath(c) || 'unmatched' });
    log.debug({ path: c.req.path, request_id: c.get('requestId') }, 'client closed the connection mid-request');
    return new Response(null, { status: CLIENT_CLOSED });
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : 'http_error';
    return errorResponse(status, { code, message: err.message || 'request failed' });
  }
  log.error({ err, path: c.req.path, request_id: c.get('requestId') }, 'unhandled error');
  return errorResponse(500, { code: 'internal_error', message: 'internal error; see server logs' });
};
