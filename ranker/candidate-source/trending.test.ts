import { describe, expect, it } from 'vitest';
import { request, setup, unbounded } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { trendingSource } from './trending.ts';

describe('trending source', () => {
  it('falls back to the last day from ClickHouse while the online window is empty', async () => {
    const s = setup();
    s.catalog.stats.trendingFallback = [
      { item_id: 'v7', score: 9 },
      { item_id: 'v3', score: 4 },
    ];
    const rows = async () => (await trendingSource.fetch(s.pipeline.contextFor(request('u1')), 10, unbounded)).map((h) => s.catalog.items.id(h.row));
    expect(await rows()).toEqual(['v7', 'v3']);
    s.online.apply([event('like', 'someone', { item_id: 'v30' })]);
    expect(await rows()).toEqual(['v30']);
  });
});
