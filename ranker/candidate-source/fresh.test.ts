import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/stack.ts';
import { FeedPipeline } from '../pipeline.ts';
import { newSession } from '../session.ts';
import { NOW, request, setup, unbounded, videosOf } from '../stage-fixtures.ts';
import { catalogFromRows, event, makeWorld, testOnlineState } from '../testing.ts';
import { TrafficPool } from '../traffic-pool.ts';
import { freshSource } from './fresh.ts';

describe('fresh source (traffic pool)', () => {
  it('a new item its first audience watched fully reaches more users than one they skipped', async () => {
    const s = setup({ ranker: { rerank: { explorationShare: 0.2 }, sources: { fresh: 10 } } }, { items: 200, users: 10 });
    const base = s.rows.items[0]!;
    s.catalog.upsertItems([
      { ...base, item_id: 'new-loved', creator_id: 'c1', published_at: nowSec - 300 },
      { ...base, item_id: 'new-skipped', creator_id: 'c2', published_at: nowSec - 300 },
    ]);
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const p = s.pipeline;
    const cap = s.config.ranker.trafficPool.tiers[0]!.maxImpressions;

    // The first audience: fetch feeds until each new item was shown `cap` times; react as the item deserves.
    const shown = { 'new-loved': 0, 'new-skipped': 0 } as Record<string, number>;
    for (let u = 0; u < 400 && (shown['new-loved']! < cap || shown['new-skipped']! < cap); u++) {
      const user = `first${u}`;
      const res = await p.run(request(user, 10));
      for (const e of videosOf(s.catalog, res.entries)) {
        if (!(e.item_id in shown)) continue;
        shown[e.item_id]!++;
        const loved = e.item_id === 'new-loved';
        s.online.apply([
          event('impression', user, { item_id: e.item_id }),
          event('play', user, { item_id: e.item_id, watch_ms: loved ? e.duration_ms : 300, duration_ms: e.duration_ms }),
          event(loved ? 'complete' : 'skip', user, { item_id: e.item_id }),
        ]);
      }
    }
    expect(shown['new-loved']).toBeGreaterThanOrEqual(cap);
    expect(shown['new-skipped']).toBeGreaterThanOrEqual(cap);

    // The next audience.
    const reached = { 'new-loved': 0, 'new-skipped': 0 } as Record<string, number>;
    for (let u = 0; u < 60; u++) {
      const res = await p.run(request(`next${u}`, 10));
      for (const e of videosOf(s.catalog, res.entries)) if (e.item_id in reached) reached[e.item_id]!++;
    }
    expect(reached['new-loved']).toBeGreaterThan(10);
    expect(reached['new-loved']).toBeGreaterThan(3 * reached['new-skipped']!);
  });
});

const nowSec = Math.floor(NOW / 1000);

/** 3,000 videos of the last two days that nobody has watched yet: a first tier far beyond what exploration slots can serve. */
function backlog() {
  const config = testConfig({ ranker: { trafficPool: { refreshMs: 0 } } });
  const rows = makeWorld({ items: 3000, creators: 60, users: 10, nowSec });
  rows.items.forEach((it, i) => (it.published_at = nowSec - 600 - i * 50));
  const catalog = catalogFromRows(rows, config, nowSec);
  const online = testOnlineState();
  const pipeline = new FeedPipeline({ config, catalog, online, models: () => undefined, pool: new TrafficPool(config.ranker) });
  const offered = async (userId: string) => {
    const ctx = pipeline.contextFor({ userId, count: 10, explain: false, now: NOW, session: newSession(`s-${userId}`.padEnd(16, '0'), 8192, 4) });
    return (await freshSource.fetch(ctx, freshSource.defaultQuota, unbounded)).map((h) => catalog.items.id(h.row));
  };
  return { rows, catalog, online, offered };
}

describe('fresh source: the waiting line', () => {
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
