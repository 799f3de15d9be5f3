import { describe, expect, it } from 'vitest';
import { request, setup, unbounded } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { followingSource } from './following.ts';

describe('following source', () => {
  it('the newest videos of every followed creator (catalog graph and follow events), five each', async () => {
    const s = setup();
    // u1 follows c1 in the catalog's graph (makeWorld), c4 through an event.
    s.online.apply([event('follow', 'u1', { creator_id: 'c4' })]);
    const hits = await followingSource.fetch(s.pipeline.contextFor(request('u1')), 60, unbounded);
    const creatorOf = (row: number) => s.catalog.creators.id(s.catalog.itemCreator[row]!);
    for (const creator of ['c1', 'c4']) {
      const rows = hits.filter((h) => creatorOf(h.row) === creator).map((h) => h.row);
      const newest = [...s.catalog.creatorItems[s.catalog.creators.row(creator)]!].slice(0, 5);
      expect(rows).toEqual(newest);
    }
    expect(hits).toHaveLength(10);
  });
});
