import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiKey } from '../../config/schema.ts';
import type { AppEnv } from '../env.ts';
import { FeedError } from '../../core/errors.ts';
import { rateLimited } from './rate-limit.ts';
import { TokenBuckets } from './token-buckets.ts';

/** The peer's address under the Node server; one shared id in-process (tests) and for other runtimes. */
function clientAddress(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * Accepts `x-api-key: K` or `authorization: Bearer K`; 401 when missing or unknown. Failed
 * attempts cost the client address a token (`failuresPerMinute` sustained and as a burst):
 * once they are spent, every request with a key from that address gets 429 until the bucket
 * refills, so guessing keys is slow. Behind a proxy all clients share its address.
 */
export function apiKeyAuth(keys: ApiKey[], failuresPerMinute: number, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  const byKey = new Map(keys.map((k) => [k.key, k]));
  const failures = new TokenBuckets(failuresPerMinute, failuresPerMinute, now);
  const refuse = (address: string, message: string) => {
    failures.take(address);
    return new FeedError('unauthorized', message);
  };
  return async function apiKeyAuth(c, next) {
    const address = clientAddress(c);
    const wait = failures.wait(address);
    if (wait > 0) throw rateLimited(`too many failed authentications from ${address}; retry later`, wait);
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const presented = c.req.header('x-api-key') ?? bearer;
    if (!presented) throw refuse(address, 'missing API key (x-api-key header)');
    const key = byKey.get(presented);
    if (!key) throw refuse(address, 'unknown API key');
    c.set('apiKey', key);
    await next();
  };
}

/** 403 unless the authenticated key is an admin key. */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    if (!c.get('apiKey')?.admin) throw new FeedError('forbidden', 'this endpoint needs an admin API key');
    await next();
  };
}

/** 403 unless the key may write the catalog: publisher keys, and admin keys (admin implies it). */
export function requirePublisher(): MiddlewareHandler<AppEnv> {
  return async function requirePublisher(c, next) {
    const key = c.get('apiKey');
    if (!key?.publisher && !key?.admin) throw new FeedError('forbidden', 'this endpoint needs a publisher or admin API key');
    await next();
  };
}
