import { describe, expect, it } from 'vitest';
import { NOW, request, setup, unbounded } from '../stage-fixtures.ts';
import { followingTabSource } from './following-tab.ts';

describe('Following tab source', () => {
  it("every followed creator's videos of the last 30 days, newest first", async () => {
    const s = setup();
    const hits = await followingTabSource.fetch(s.pipeline.contextFor(request('u1')), 500, unbounded);
    const since = NOW / 1000 - 30 * 86_400;
    const expected = [...s.catalog.creatorItems[s.catalog.creators.row('c1')]!].filter((row) => s.catalog.itemPublished[row]! >= since);
    expect(expected.length).toBeGreaterThan(0);
    expect(hits.map((h) => h.row)).toEqual(expected);
  });
});
