/**
 * What failed, in terms a caller can act on. The API answers each code with one HTTP status
 * (feed-api/errors.ts); the CLI prints the message.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'invalid_cursor'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'too_many_events'
  | 'too_many_rows'
  | 'rate_limited'
  | 'kafka_unavailable'
  | 'clickhouse_unavailable'
  | 'internal_error';

/** A request value that failed validation, named by where it was (`query.count`, `body.events`). */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface FeedErrorOptions {
  cause?: unknown;
  fields?: FieldIssue[];
  /** Seconds after which retrying may succeed. */
  retryAfterS?: number;
}

/** The one error type: a typed code, a message that says what was being done, the original as `cause`. */
export class FeedError extends Error {
  override readonly name = 'FeedError';
  readonly fields?: FieldIssue[];
  readonly retryAfterS?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: FeedErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    if (options.fields) this.fields = options.fields;
    if (options.retryAfterS !== undefined) this.retryAfterS = options.retryAfterS;
  }
}

/** `err` is a FeedError with `code`. */
export function isFeedError(err: unknown, code: ErrorCode): err is FeedError {
  return err instanceof FeedError && err.code === code;
}

/** `cause` wrapped with what was being done. */
export function wrapError(context: string, cause: unknown, code: ErrorCode = 'internal_error'): FeedError {
  return new FeedError(code, `${context}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

/** Runs `fn`, wrapping any failure once with `context` (a FeedError passes through unchanged). */
export async function withContext<T>(context: string, fn: () => Promise<T>, code: ErrorCode = 'internal_error'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FeedError) throw err;
    throw wrapError(context, err, code);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What `withinMs` returns for a promise that did not settle in time. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** `promise`'s value, or TIMED_OUT if it has not settled within `ms`; the timer is cleared either way, so it never holds the process open. */
export async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
