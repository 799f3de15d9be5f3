import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Histogram } from 'prom-client';
import { metrics } from '../../core/metrics.ts';

const httpDuration = new Histogram({
  name: 'feed_http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metrics],
});

export function httpMetrics(): MiddlewareHandler {
  return async function httpMetrics(c, next) {
    const end = httpDuration.startTimer();
    await next();
    end({ method: c.req.method, route: routePath(c) || 'unmatched', status: String(c.res.status) });
  };
}
