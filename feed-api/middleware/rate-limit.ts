import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token bucket per API key: `rateLimitPerMinute` sustained, bursts up to a tenth of a minute's
 * allowance. Per replica; put a shared limiter at the edge when running several.
 */
export function rateLimit(now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  const buckets = new Map<string, Bucket>();
  return async function rateLimit(c, next) {
    const key = c.get('apiKey');
    const perMs = key.rateLimitPerMinute / 60_000;
    const burst = Math.max(1, Math.ceil(key.rateLimitPerMinute / 10));
    const t = now();
    const b = buckets.get(key.key) ?? { tokens: burst, updated: t };
    b.tokens = Math.min(burst, b.tokens + (t - b.updated) * perMs);
    b.updated = t;
    buckets.set(key.key, b);
    if (b.tokens < 1) {
      const retryAfter = Math.ceil((1 - b.tokens) / perMs / 1000);
      throw new ApiError(429, 'rate_limited', `rate limit of ${key.rateLimitPerMinute}/min exceeded for app ${key.app}`, undefined, {
        'retry-after': String(retryAfter),
      });
    }
    b.tokens -= 1;
    await next();
  };
}
