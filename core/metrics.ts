import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process, exposed at GET /metrics. */
export const metrics = new Registry();
collectDefaultMetrics({ register: metrics });
