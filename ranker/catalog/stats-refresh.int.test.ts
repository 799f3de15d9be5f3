import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config/schema.ts';
import { TSV_COLUMNS, eventToTsv } from '../../ingest/rows.ts';
import { insertCatalog } from '../../storage/catalog.ts';
import { createClickHouse, type ClickHouseClient } from '../../storage/clickhouse.ts';
import { insertEventLines } from '../../storage/event-offsets.ts';
import { dropIsolated, isolatedConfig } from '../../test/stack.ts';
import { event } from '../testing.ts';
import { CatalogRefresher, loadServingCatalog } from './loader.ts';

describe('the periodic stats refresh on the real ClickHouse', () => {
  let config: Config;
  let ch: ClickHouseClient;
  let offset = 0;

  beforeAll(async () => {
    config = await isolatedConfig('stats_refresh');
    ch = createClickHouse(config);
    const item = { creator_id: 'c1', title: 't', category: 'pets', locale: 'en', duration_ms: 10_000, published_at: 1, product_id: '', available: 1 };
    await insertCatalog(ch, 'items', [
      { ...item, item_id: 'a' },
      { ...item, item_id: 'b' },
    ]);
  });
  afterAll(async () => {
    await ch?.close();
    if (config) await dropIsolated(config);
  });

  /** Plays of `itemId` as the ingest writer stores them, stamped ingested at `ingestedAtS`. */
  async function plays(itemId: string, n: number, ingestedAtS: number): Promise<void> {
    const lines = Array.from({ length: n }, () => eventToTsv(event('play', 'u1', { item_id: itemId, watch_ms: 5_000, duration_ms: 10_000 }), 0, offset++, ingestedAtS));
    await insertEventLines(ch, lines.join(''), TSV_COLUMNS);
  }

  it('re-reads only the items with events ingested since the last refresh, each with its all-time totals', async () => {
    const now = Math.floor(Date.now() / 1000);
    await plays('a', 3, now - 7200);
    const catalog = await loadServingCatalog(ch, config);
    const [a, b] = [catalog.items.row('a'), catalog.items.row('b')];
    expect(catalog.stats.plays[a]).toBe(3);
    expect(catalog.stats.plays[b]).toBe(0);

    const refresher = new CatalogRefresher(ch, config, catalog, Date.now());
    // Back-dated past the refresh's overlap: not a change it looks for, so item a keeps its totals.
    await plays('a', 2, now - 7200);
    await plays('b', 4, now);
    expect(await refresher.refreshStats()).toBe(1);
    expect(catalog.stats.plays[b]).toBe(4);
    expect(catalog.stats.plays[a]).toBe(3);

    // A fresh event makes a changed again; its totals then include everything stored for it.
    await plays('a', 1, Math.floor(Date.now() / 1000));
    expect(await refresher.refreshStats()).toBe(2);
    expect(catalog.stats.plays[a]).toBe(6);
    expect(catalog.stats.watchRatio[a]).toBeCloseTo(0.5);
  });
});
