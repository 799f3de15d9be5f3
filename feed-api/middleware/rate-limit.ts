import type { MiddlewareHandler } from 'hono';
import type { ApiKey } from '../../config/schema.ts';
import type { AppEnv } from '../env.ts';
import { FeedError } from '../../core/errors.ts';
import { TokenBuckets } from './token-buckets.ts';

export function rateLimited(message: string, retryAfterS: number): FeedError {
  return new FeedError('rate_limited', message, { retryAfterS });
}

/**
 * Token buckets per API key and id, at the key's allowance `perMinute(key)` with bursts up to a
 * tenth of a minute's allowance. Returns a function that takes a token for (key, id) and answers
 * 0 or the seconds to wait. Per replica; put a shared limiter at the edge when running several.
 */
export function keyedLimiter(perMinute: (key: ApiKey) => number, now: () => number = Date.now): (key: ApiKey, id: string) => number {
  const byKey = new Map<string, TokenBuckets>();
  return (key, id) => {
    let buckets = byKey.get(key.key);
    if (!buckets) {
      const rate = perMinute(key);
      byKey.set(key.key, (buckets = new TokenBuckets(rate, Math.max(1, Math.ceil(rate / 10)), now)));
    }
    return buckets.take(id);
  };
}

/** `rateLimitPerMinute` per API key (one app's whole budget). */
export function rateLimit(now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  const take = keyedLimiter((k) => k.rateLimitPerMinute, now);
  return async function rateLimit(c, next) {
    const key = c.get('apiKey');
    const wait = take(key, key.key);
    if (wait > 0) throw rateLimited(`rate limit of ${key.rateLimitPerMinute}/min exceeded for app ${key.app}`, wait);
    await next();
  };
}
