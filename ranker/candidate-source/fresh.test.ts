import { describe, expect, it } from 'vitest';
import { MemoryOnlineState } from '../../ingest/memory-online-state.ts';
import { testConfig } from '../../test/stack.ts';
import { FeedPipeline } from '../pipeline.ts';
import { newSession } from '../session.ts';
import { catalogFromRows, event, makeWorld } from '../testing.ts';
import { TrafficPool } from '../traffic-pool.ts';
import { freshSource } from './fresh.ts';

const NOW = Date.now();
const nowSec = Math.floor(NOW / 1000);

/** 3,000 videos of the last two days that nobody has watched yet: a first tier far beyond what exploration slots can serve. */
function backlog() {
  const config = testConfig({ ranker: { trafficPool: { refreshMs: 0 } } });
  const rows = makeWorld({ items: 3000, creators: 60, users: 10, nowSec });
  rows.items.forEach((it, i) => (it.published_at = nowSec - 600 - i * 50));
  const catalog = catalogFromRows(rows, config, nowSec);
  const online = new MemoryOnlineState();
  const pipeline = new FeedPipeline({ config, catalog, online, models: () => undefined, pool: new TrafficPool(config.ranker) });
  const offered = async (userId: string) => {
    const ctx = pipeline.contextFor({ userId, count: 10, explain: false, now: NOW, session: newSession(`s-${userId}`.padEnd(16, '0'), 8192, 4) });
    return (await freshSource.fetch(ctx, config.ranker.sources.fresh)).map((h) => catalog.items.id(h.row));
  };
  return { rows, catalog, online, offered };
}

describe('fresh source', () => {
  it('offers a video published now to every viewer, ahead of a backlog of unwatched ones', async () => {
    const { rows, catalog, offered } = backlog();
    catalog.indexNewItems(catalog.upsertItems([{ ...rows.items[0]!, item_id: 'published-now', published_at: nowSec }]));
    let reached = 0;
    for (let u = 0; u < 50; u++) if ((await offered(`viewer${u}`)).includes('published-now')) reached++;
    // A uniform draw over the tier offered it to about 1 viewer in 50.
    expect(reached).toBe(50);
  });

  it('moves on to the next in line for a viewer who has seen it', async () => {
    const { rows, catalog, online, offered } = backlog();
    catalog.indexNewItems(catalog.upsertItems([{ ...rows.items[0]!, item_id: 'published-now', published_at: nowSec }]));
    online.apply([event('impression', 'viewer0', { item_id: 'published-now' })]);
    const got = await offered('viewer0');
    expect(got).not.toContain('published-now');
    // The front of the line: as many as 10% shares of the exploration slots go round.
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
  });
});
