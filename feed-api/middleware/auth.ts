import type { MiddlewareHandler } from 'hono';
import type { ApiKey } from '../../config/schema.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';

/** Accepts `x-api-key: K` or `authorization: Bearer K`; 401 when missing or unknown. */
export function apiKeyAuth(keys: ApiKey[]): MiddlewareHandler<AppEnv> {
  const byKey = new Map(keys.map((k) => [k.key, k]));
  return async function apiKeyAuth(c, next) {
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const presented = c.req.header('x-api-key') ?? bearer;
    if (!presented) throw new ApiError(401, 'unauthorized', 'missing API key (x-api-key header)', undefined, { 'www-authenticate': 'Bearer' });
    const key = byKey.get(presented);
    if (!key) throw new ApiError(401, 'unauthorized', 'unknown API key', undefined, { 'www-authenticate': 'Bearer' });
    c.set('apiKey', key);
    await next();
  };
}

/** 403 unless the authenticated key is an admin key. */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    if (!c.get('apiKey')?.admin) throw new ApiError(403, 'forbidden', 'this endpoint needs an admin API key');
    await next();
  };
}

/** 403 unless the key may write the catalog: publisher keys, and admin keys (admin implies it). */
export function requirePublisher(): MiddlewareHandler<AppEnv> {
  return async function requirePublisher(c, next) {
    const key = c.get('apiKey');
    if (!key?.publisher && !key?.admin) throw new ApiError(403, 'forbidden', 'this endpoint needs a publisher or admin API key');
    await next();
  };
}
