import type { Config } from '../../config/schema.ts';
import { createFeedService } from '../../feed-api/service.ts';
import type { Started } from './serve-child.ts';

/**
 * The real serving process as `feed serve` composes it: catalog loaded from ClickHouse,
 * online state following Kafka, event producer, heuristic scorer unless models are promoted.
 */
export async function startFeed(config: Config, _options: Record<string, unknown>): Promise<Started> {
  const t0 = Date.now();
  const service = await createFeedService(config, {});
  const server = await service.start(0);
  const health = (await (await service.app.request('/v1/health')).json()) as { components?: Record<string, unknown> };
  return {
    url: server.url,
    info: { startup_s: (Date.now() - t0) / 1000, catalog: health.components?.catalog, model: health.components?.model },
    calls: {},
    stop: () => service.stop(),
  };
}
