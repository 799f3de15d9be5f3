import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.ts';

/** Validates the query string; 400 naming each bad field. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw ApiError.fromZod(result.error, 'query');
  return result.data;
}

/** The media type of a content-type header (`type/subtype`, lower case, parameters dropped). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** Reads the body as JSON: 415 when it is not JSON, 400 when it does not parse. */
export async function readJson(c: Context): Promise<unknown> {
  if (mediaType(c.req.header('content-type')) !== 'application/json') {
    throw new ApiError(415, 'unsupported_media_type', 'content-type must be application/json');
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
}

export async function parseJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const result = schema.safeParse(await readJson(c));
  if (!result.success) throw ApiError.fromZod(result.error, 'body');
  return result.data;
}
