import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { experimentReport } from '../../experiments/report.ts';
import {
  concludeExperiment,
  createExperiment,
  ExperimentError,
  ExperimentSpecSchema,
  getExperiment,
  listExperiments,
  startExperiment,
  stopExperiment,
  type Experiment,
} from '../../experiments/store.ts';
import type { ClickHouseClient } from '../../storage/clickhouse.ts';
import type { RouteModule } from '../app.ts';
import { metricsText } from '../cluster.ts';
import { ApiError } from '../errors.ts';
import { requireAdmin } from '../middleware/auth.ts';
import { parseJson, readJson } from '../validate.ts';

const STATUS: Record<ExperimentError['kind'], 400 | 404 | 409> = { invalid: 400, not_found: 404, conflict: 409 };

/** Experiment store refusals as API errors (400 invalid, 404 unknown, 409 wrong state). */
function storeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    throw new ApiError(STATUS[err.kind], err.kind === 'invalid' ? 'invalid_request' : err.kind, err.message);
  }
}

const IdParam = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'is not an experiment id');
const ConcludeBody = z.object({ winner: z.string().min(1).max(32), note: z.string().max(500).default('') });
const ExperimentSchema = z.object({ id: z.string(), status: z.string(), mode: z.string(), control: z.string(), arms: z.array(z.object({ name: z.string(), share: z.number() }).loose()) }).loose();
const ok = (description: string, schema: z.ZodType) => ({ 200: { description, content: { 'application/json': { schema } } } });

/**
 * Admin API of experiments (`feed experiments ...` does the same on the registry folder):
 * create, start, stop, conclude, and the per-arm report from ClickHouse and /metrics.
 */
export function experimentsRoutes(deps: { config: Config; clickhouse: ClickHouseClient }): RouteModule {
  const { config } = deps;
  const idOf = (raw: string) => {
    const r = IdParam.safeParse(raw);
    if (!r.success) throw new ApiError(400, 'invalid_request', `path.id: ${r.error.issues[0]!.message}`, [{ field: 'path.id', message: r.error.issues[0]!.message }]);
    return r.data;
  };
  return {
    name: 'experiments',
    register(app, openapi) {
      app.use('/v1/admin/experiments', requireAdmin());
      app.use('/v1/admin/experiments/*', requireAdmin());

      openapi.registerPath({ method: 'get', path: '/v1/admin/experiments', summary: 'Experiments, oldest first', responses: ok('experiments', z.object({ experiments: z.array(ExperimentSchema) })) });
      app.get('/v1/admin/experiments', (c) => c.json({ experiments: storeCall(() => listExperiments(config)) }));

      openapi.registerPath({
        method: 'post',
        path: '/v1/admin/experiments',
        summary: 'Create an experiment (a draft): arms with traffic shares, each a pinned model version and/or a config overlay',
        request: { body: { required: true, content: { 'application/json': { schema: ExperimentSpecSchema } } } },
        responses: ok('the draft', ExperimentSchema),
      });
      app.post('/v1/admin/experiments', async (c) => {
        const body = await readJson(c);
        return c.json(storeCall(() => createExperiment(config, body)), 201);
      });

      openapi.registerPath({ method: 'get', path: '/v1/admin/experiments/{id}', summary: 'One experiment', responses: ok('the experiment', ExperimentSchema) });
      app.get('/v1/admin/experiments/:id', (c) => c.json(storeCall(() => getExperiment(config, idOf(c.req.param('id'))))));

      const transitions: Record<string, (id: string) => Experiment> = {
        start: (id) => startExperiment(config, id),
        stop: (id) => stopExperiment(config, id),
      };
      for (const [action, run] of Object.entries(transitions)) {
        openapi.registerPath({ method: 'post', path: `/v1/admin/experiments/{id}/${action}`, summary: `${action[0]!.toUpperCase()}${action.slice(1)} an experiment (replicas follow within about a second)`, responses: ok('the experiment', ExperimentSchema) });
        app.post(`/v1/admin/experiments/:id/${action}`, (c) => c.json(storeCall(() => run(idOf(c.req.param('id'))))));
      }

      openapi.registerPath({
        method: 'post',
        path: '/v1/admin/experiments/{id}/conclude',
        summary: 'Record the winning arm of a stopped experiment',
        request: { body: { required: true, content: { 'application/json': { schema: ConcludeBody } } } },
        responses: ok('the experiment', ExperimentSchema),
      });
      app.post('/v1/admin/experiments/:id/conclude', async (c) => {
        const id = idOf(c.req.param('id'));
        const { winner, note } = await parseJson(c, ConcludeBody);
        return c.json(storeCall(() => concludeExperiment(config, id, winner, note)));
      });

      openapi.registerPath({
        method: 'get',
        path: '/v1/admin/experiments/{id}/report',
        summary: 'Per-arm results: metrics with confidence intervals and sample sizes from ClickHouse, p99 guardrail from /metrics',
        responses: ok('the report', z.object({ arms: z.array(z.object({ name: z.string() }).loose()) }).loose()),
      });
      app.get('/v1/admin/experiments/:id/report', async (c) => {
        const e = storeCall(() => getExperiment(config, idOf(c.req.param('id'))));
        const text = await metricsText().catch(() => undefined);
        return c.json(await experimentReport(deps.clickhouse, config, e, { text, source: 'GET /metrics of the serving process answering' }));
      });
    },
  };
}
