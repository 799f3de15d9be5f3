import { describe, expect, it } from 'vitest';
import { NOW, request, setup, videosOf } from '../stage-fixtures.ts';
import { event } from '../testing.ts';

describe('fresh source (traffic pool)', () => {
  it('a new item its first audience watched fully reaches more users than one they skipped', async () => {
    const s = setup({ ranker: { rerank: { explorationShare: 0.2 }, sources: { fresh: 10 } } }, { items: 200, users: 10 });
    const nowSec = Math.floor(NOW / 1000);
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
