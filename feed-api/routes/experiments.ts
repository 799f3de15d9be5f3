import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { experimentReport } from '../../experiments/report.ts';
import { concludeExperiment, createExperiment, ExperimentSpecSchema, getExperiment, listExperiments, startExperiment, stopExperiment, type Experiment } from '../../experiments/store.ts';
import type { ClickHouseClient } from '../../storage/clickhouse.ts';
import type { RouteModule } from '../app.ts';
import { metricsText } from '../cluster.ts';
import { requireAdmin } from '../middleware/auth.ts';
import { documentedOnly, errorResponses, jsonContent } from '../openapi.ts';
import { jsonBody } from '../validate.ts';

const IdParam = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'is not an experiment id');
const ConcludeBody = z.object({ winner: z.string().min(1).max(32), note: z.string().max(500).default('') });
const ExperimentSchema = z.object({ id: z.string(), status: z.string(), mode: z.string(), control: z.string(), arms: z.array(z.object({ name: z.string(), share: z.number() }).loose()) }).loose();
const IdParams = z.object({ id: IdParam });
const ReportSchema = z.object({ arms: z.array(z.object({ name: z.string() }).loose()) }).loose();
const refusals = errorResponses({ 400: 'invalid request', 403: 'not an admin key', 404: 'unknown experiment', 409: 'not possible in the experiment’s state' });

/**
 * Admin API of experiments (`feed experiments ...` does the same on the registry folder):
 * create, start, stop, conclude, and the per-arm report from ClickHouse and /metrics.
 */
export function experimentsRoutes(deps: { config: Config; clickhouse: ClickHouseClient }): RouteModule {
  const { config } = deps;
  return {
    name: 'experiments',
    register(app) {
      app.use('/v1/admin/experiments', requireAdmin());
      app.use('/v1/admin/experiments/*', requireAdmin());

      app.openapi(
        createRoute({
          method: 'get',
          path: '/v1/admin/experiments',
          summary: 'Experiments, oldest first',
          responses: { 200: jsonContent('experiments', z.object({ experiments: z.array(ExperimentSchema) })), ...refusals },
        }),
        (c) => c.json({ experiments: listExperiments(config) }, 200),
      );

      app.openapi(
        createRoute({
          method: 'post',
          path: '/v1/admin/experiments',
          summary: 'Create an experiment (a draft): arms with traffic shares, each a pinned model version and/or a config overlay',
          middleware: [jsonBody()],
          // The store validates the spec (and the arms' overlays and models) with its own messages.
          request: { body: { required: true, content: { 'application/json': { schema: documentedOnly(app, 'ExperimentSpec', ExperimentSpecSchema) } } } },
          responses: { 201: jsonContent('the draft', ExperimentSchema), ...refusals },
        }),
        (c) => c.json(createExperiment(config, c.req.valid('json')), 201),
      );

      app.openapi(
        createRoute({
          method: 'get',
          path: '/v1/admin/experiments/{id}',
          summary: 'One experiment',
          request: { params: IdParams },
          responses: { 200: jsonContent('the experiment', ExperimentSchema), ...refusals },
        }),
        (c) => c.json(getExperiment(config, c.req.valid('param').id), 200),
      );

      const transitions: Record<string, (id: string) => Experiment> = {
        start: (id) => startExperiment(config, id),
        stop: (id) => stopExperiment(config, id),
      };
      for (const [action, run] of Object.entries(transitions)) {
        app.openapi(
          createRoute({
            method: 'post',
            path: `/v1/admin/experiments/{id}/${action}`,
            summary: `${action[0]!.toUpperCase()}${action.slice(1)} an experiment (replicas follow within about a second)`,
            request: { params: IdParams },
            responses: { 200: jsonContent('the experiment', ExperimentSchema), ...refusals },
          }),
          (c) => c.json(run(c.req.valid('param').id), 200),
        );
      }

      app.openapi(
        createRoute({
          method: 'post',
          path: '/v1/admin/experiments/{id}/conclude',
          summary: 'Record the winning arm of a stopped experiment',
          middleware: [jsonBody()],
          request: { params: IdParams, body: { required: true, content: { 'application/json': { schema: ConcludeBody } } } },
          responses: { 200: jsonContent('the experiment', ExperimentSchema), ...refusals },
        }),
        (c) => {
          const { winner, note } = c.req.valid('json');
          return c.json(concludeExperiment(config, c.req.valid('param').id, winner, note), 200);
        },
      );

      app.openapi(
        createRoute({
          method: 'get',
          path: '/v1/admin/experiments/{id}/report',
          summary: 'Per-arm results: metrics with confidence intervals and sample sizes from ClickHouse, p99 guardrail from /metrics',
          request: { params: IdParams },
          responses: { 200: jsonContent('the report', ReportSchema), ...refusals },
        }),
        async (c) => {
          const e = getExperiment(config, c.req.valid('param').id);
          const text = await metricsText().catch(() => undefined);
          return c.json(await experimentReport(deps.clickhouse, config, e, { text, source: 'GET /metrics of the serving process answering' }), 200);
        },
      );
    },
  };
}
