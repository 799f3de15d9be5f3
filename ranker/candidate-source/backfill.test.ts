import { describe, expect, it } from 'vitest';
import { request, setup, videosOf } from '../stage-fixtures.ts';

describe('backfill source', () => {
  it('a session that runs out of candidates widens the pool, then says end_of_feed instead of a silently short page', async () => {
    const s = setup({}, { items: 120 });
    const p = s.pipeline;
    const req = request('u1', 20);
    const served = new Set<string>();
    let res: Awaited<ReturnType<typeof p.run>>;
    let pages = 0;
    do {
      res = await p.run(req);
      pages++;
      for (const e of videosOf(s.catalog, res.entries)) {
        expect(served.has(e.item_id)).toBe(false);
        served.add(e.item_id);
      }
      if (!res.endOfFeed) expect(res.entries.length).toBe(20);
    } while (!res.endOfFeed && pages < 30);
    expect(res.endOfFeed).toBe(true);
    // Well past what the sources' quotas give one session: the backfill source widened the pool.
    const available = s.catalog.itemAvailable.subarray(0, s.catalog.items.size).reduce((a, b) => a + b, 0);
    expect(served.size).toBeGreaterThan(0.8 * available);
  });
});
