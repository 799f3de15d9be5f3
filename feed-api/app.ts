import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { except } from 'hono/combine';
import { requestId } from 'hono/request-id';
import type { Config } from '../config/schema.ts';
import type { AppEnv } from './env.ts';
import { ApiError, onError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { httpMetrics } from './middleware/http-metrics.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { OpenAPIRegistry, openApiDocument } from './openapi.ts';

/** A group of routes with its own dependencies; registers handlers and their OpenAPI paths. */
export interface RouteModule {
  name: string;
  register(app: Hono<AppEnv>, openapi: OpenAPIRegistry): void;
}

/**
 * The feed API. Runtime-neutral (web Request/Response); `server.ts` binds it to Node.
 * Public: /v1/health, /metrics, /openapi.json. Everything else under /v1 needs an API key.
 */
export function createApp(config: Config, modules: RouteModule[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound((c) => new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`).getResponse());
  app.use('*', requestId(), httpMetrics());
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: config.api.maxBodyBytes,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `request body exceeds ${config.api.maxBodyBytes} bytes`);
      },
    }),
  );
  app.use('/v1/*', except('/v1/health', apiKeyAuth(config.api.keys), rateLimit()));

  const registry = new OpenAPIRegistry();
  for (const m of modules) m.register(app, registry);
  const doc = openApiDocument(registry);
  app.get('/openapi.json', (c) => c.json(doc as object));
  return app;
}
