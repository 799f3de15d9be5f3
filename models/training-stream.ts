import type { Config } from '../config/schema.ts';
import { readCatalog } from '../storage/catalog.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { eventDays, eventsOfDay, eventTimeAt, type EventDay } from '../storage/training-events.ts';
import { splitIndices, TrainingSetBuilder, type CatalogSnapshot, type TrainingData, type TrainingEvent } from './training-data.ts';

/** Where a streamed read of the training range is. */
export interface StreamProgress {
  rows: number;
  /** Events in the range (counted before streaming). */
  total: number;
  rowsPerSec: number;
}

async function collect<T>(gen: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of gen) out.push(...batch);
  return out;
}

/** The time of the `index`-th event in time order, found in its day. */
async function timeAt(client: ClickHouseClient, days: readonly EventDay[], total: number, index: number | null): Promise<number | null> {
  if (total === 0 || index === null) return null;
  for (const d of days) {
    if (index < d.events) return eventTimeAt(client, d.day, index);
    index -= d.events;
  }
  throw new Error(`split index ${index} is past the ${total} events counted`);
}

/**
 * Streams the training range from ClickHouse one day at a time, in time order, through the
 * builder: memory holds the catalog and the builder's bounded state, never the events.
 */
export async function loadTrainingData(config: Config, holdout = config.models.holdout, onProgress?: (p: StreamProgress) => void): Promise<TrainingData> {
  const client = createClickHouse(config);
  try {
    const catalog: CatalogSnapshot = {
      items: await collect(readCatalog(client, 'items')),
      products: await collect(readCatalog(client, 'products')),
      creators: await collect(readCatalog(client, 'creators')),
      users: await collect(readCatalog(client, 'users')),
      edges: await collect(readCatalog(client, 'social_edges')),
    };
    const days = await eventDays(client);
    const total = days.reduce((n, d) => n + d.events, 0);
    const at = splitIndices(total, holdout, config.models.multitaskWindow);
    const split = { cutoff: await timeAt(client, days, total, at.cutoff), multitaskFrom: await timeAt(client, days, total, at.multitaskFrom) };
    const builder = new TrainingSetBuilder(catalog, split, config.models.trainingData, config.seed);
    const t0 = performance.now();
    let rows = 0;
    for (const d of days) {
      for await (const batch of eventsOfDay(client, d.day)) {
        // The events table holds validated events only: their kinds are event kinds.
        for (const e of batch) builder.add(e as TrainingEvent);
        rows += batch.length;
        onProgress?.({ rows, total, rowsPerSec: rows / ((performance.now() - t0) / 1000) });
      }
    }
    return builder.finish();
  } finally {
    await client.close();
  }
}
