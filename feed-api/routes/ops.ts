import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { metrics } from '../../core/metrics.ts';
import { metricsText } from '../cluster.ts';
import type { RouteModule } from '../app.ts';
import { jsonContent } from '../openapi.ts';

export interface HealthCheck {
  name: string;
  /** Resolves to details; `ok: false` marks the component unhealthy. */
  check(): Promise<{ ok: boolean } & Record<string, unknown>>;
}

const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  uptime_s: z.number(),
  components: z.record(z.string(), z.object({ ok: z.boolean() }).loose()),
});

type HealthReport = { ok: boolean; components: Record<string, { ok: boolean } & Record<string, unknown>> };

/**
 * GET /v1/health (components: model, tfjs backend, Kafka, ClickHouse, ...) and GET /metrics.
 * Health is public and unlimited, so the component checks run at most once per `cacheMs`:
 * calls in between (and concurrent ones) share the last report.
 */
export function opsRoutes(checks: HealthCheck[], opts: { cacheMs?: number } = {}): RouteModule {
  const started = Date.now();
  const cacheMs = opts.cacheMs ?? 1000;
  let last: { at: number; report: Promise<HealthReport> } | undefined;
  const runChecks = async (): Promise<HealthReport> => {
    const results = await Promise.all(checks.map(async (h) => [h.name, await h.check().catch((err: Error) => ({ ok: false, error: err.message }))] as const));
    return { ok: results.every(([, r]) => r.ok), components: Object.fromEntries(results) };
  };
  const report = (): Promise<HealthReport> => {
    const now = Date.now();
    if (!last || now - last.at >= cacheMs) last = { at: now, report: runChecks() };
    return last.report;
  };
  return {
    name: 'ops',
    register(app) {
      const route = createRoute({
        method: 'get',
        path: '/v1/health',
        summary: 'Component health: model version, tfjs backend, Kafka and ClickHouse',
        security: [],
        responses: { 200: jsonContent('healthy', HealthSchema), 503: jsonContent('a component is unhealthy', HealthSchema) },
      });
      app.openapi(route, async (c) => {
        const { ok, components } = await report();
        return c.json({ status: ok ? 'ok' : 'degraded', uptime_s: Math.round((Date.now() - started) / 1000), components }, ok ? 200 : 503);
      });
      const metricsRoute = createRoute({
        method: 'get',
        path: '/metrics',
        summary: 'Prometheus metrics (summed over the workers of `feed serve --workers N`)',
        security: [],
        responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
      });
      app.openapi(metricsRoute, async (c) => c.text(await metricsText(), 200, { 'content-type': metrics.contentType }));
    },
  };
}
