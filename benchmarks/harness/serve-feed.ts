import type { Config } from '../../config/schema.ts';
import { registryModelSource } from '../../feed-api/model-source.ts';
import { createFeedService } from '../../feed-api/service.ts';
import { serverMemory } from '../soak/server-memory.ts';
import type { Started } from './child.ts';

/**
 * The real serving process as `feed serve` composes it: catalog loaded from ClickHouse,
 * online state following Kafka, event producer, the registry's promoted models (the heuristic
 * scorer when none is promoted).
 */
export async function startFeed(config: Config, _options: Record<string, unknown>): Promise<Started> {
  const t0 = Date.now();
  const service = await createFeedService(config, { models: registryModelSource(config) });
  const server = await service.start(0);
  const health = (await (await service.app.request('/v1/health')).json()) as { components?: Record<string, Record<string, unknown> | undefined> };
  const model = health.components?.model;
  return {
    url: server.url,
    info: {
      startup_s: (Date.now() - t0) / 1000,
      catalog: health.components?.catalog,
      model: model && { version: model.version, scorer: model.scorer, ann_index: model.ann_index ?? null, ann_items: model.ann_items ?? null },
    },
    calls: { memory: () => serverMemory(service) },
    stop: () => service.stop(),
  };
}
