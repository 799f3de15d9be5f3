import type { Context, MiddlewareHandler } from 'hono';
import { FeedError } from '../core/errors.ts';

/** The media type of a content-type header (`type/subtype`, lower case, parameters dropped). */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** Reads the body as JSON: 415 when it is not JSON, 400 when it does not parse. */
export async function readJson(c: Context): Promise<unknown> {
  if (mediaType(c.req.header('content-type')) !== 'application/json') {
    throw new FeedError('unsupported_media_type', 'content-type must be application/json');
  }
  // Read outside the try: a client that goes away mid-body is not a JSON error (onError counts it).
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FeedError('invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Route middleware ahead of a declared JSON body: the 415 and invalid-JSON answers above; the
 * route's validator then gets this parse (hono's `json()` would parse the text again, and a
 * batch of events is the largest body the API reads).
 */
export function jsonBody(): MiddlewareHandler {
  return async function jsonBody(c, next) {
    const body = await readJson(c);
    c.req.json = <T>() => Promise.resolve(body as T);
    await next();
  };
}
