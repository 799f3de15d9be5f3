import { describe, expect, it } from 'vitest';
import { request, setup, unbounded } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { localeSource, segmentSource } from './popular.ts';

describe('popular sources', () => {
  it("locale: the user's language's popular list in order, without what was served, seen or taken down", async () => {
    const s = setup();
    const ctx = s.pipeline.contextFor(request('u1'));
    const ids = [...s.catalog.popularByLocale.get(ctx.localeCode)!].map((row) => s.catalog.items.id(row));
    ctx.request.session.served.add(ids[0]!);
    s.online.apply([event('impression', 'u1', { item_id: ids[1]! })]);
    s.catalog.itemAvailable[s.catalog.items.row(ids[2]!)] = 0;
    const hits = await localeSource.fetch(ctx, 3, unbounded);
    expect(hits.map((h) => s.catalog.items.id(h.row))).toEqual(ids.slice(3, 6));
    expect(hits.map((h) => h.score)).toEqual([1, 1 / 2, 1 / 3]);
  });

  it("segment: what people of the user's segment engaged with", async () => {
    const s = setup();
    s.catalog.stats.segmentTop = new Map([['casual', ['v21', 'v20']]]);
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 });
    // u0 is in segment casual (makeWorld: segments by user index).
    const hits = await segmentSource.fetch(s.pipeline.contextFor(request('u0')), 10, unbounded);
    expect(hits.map((h) => s.catalog.items.id(h.row))).toEqual(['v21', 'v20']);
  });
});
