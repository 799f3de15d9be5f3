import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Config } from '../config/schema.ts';
import { FeedError } from '../core/errors.ts';
import type { AppEnv } from './env.ts';
import { notFound, onError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { httpMetrics } from './middleware/http-metrics.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { openApiApp, openApiDocument } from './openapi.ts';

/** A group of routes with its own dependencies; each route is declared once (`app.openapi`) for validation and the document. */
export interface RouteModule {
  name: string;
  register(app: OpenAPIHono<AppEnv>): void;
}

/** Skips `mw` for the public health route (hono/combine's `except` builds a composed chain per request). */
function exceptHealth(mw: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => (c.req.path === '/v1/health' ? next() : mw(c, next));
}

/**
 * The feed API. Runtime-neutral (web Request/Response); `server.ts` binds it to Node.
 * Public: /v1/health, /metrics, /openapi.json. Everything else under /v1 needs an API key.
 */
export function createApp(config: Config, modules: RouteModule[]): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  app.onError(onError);
  app.notFound(notFound);
  app.use('*', requestId(), httpMetrics());
  // Only on methods with a body: the check reads `req.raw.body`, which makes the Node adapter build a full Request.
  app.on(
    ['POST', 'PUT', 'PATCH'],
    '/v1/*',
    bodyLimit({
      maxSize: config.api.maxBodyBytes,
      onError: () => {
        throw new FeedError('payload_too_large', `request body exceeds ${config.api.maxBodyBytes} bytes`);
      },
    }),
  );
  app.use('/v1/*', exceptHealth(apiKeyAuth(config.api.keys, config.api.authFailuresPerMinute)), exceptHealth(rateLimit()));

  for (const m of modules) m.register(app);
  const doc = openApiDocument(app);
  app.get('/openapi.json', (c) => c.json(doc as object));
  return app;
}
