import { describe, expect, it } from 'vitest';
import { request, setup, unbounded } from '../stage-fixtures.ts';
import { event, fakeModels } from '../testing.ts';
import { itemToItemSource } from './i2i.ts';

describe('item-to-item source', () => {
  it('nearest neighbours of well-watched items, each seed searched once per model version', async () => {
    const s = setup();
    await s.holder.swap(
      fakeModels(
        'm1',
        s.rows.items.map((i) => i.item_id),
      ),
    );
    s.online.apply([event('play', 'u1', { item_id: 'v1', watch_ms: 9000, duration_ms: 10_000 }), event('like', 'u1', { item_id: 'v2' })]);
    const snap = s.holder.current!;
    let searches = 0;
    const search = snap.ann.searchLabels.bind(snap.ann);
    snap.ann.searchLabels = (q, k, p) => {
      searches++;
      return search(q, k, p);
    };
    const ctx = s.pipeline.contextFor(request('u1'));
    const first = await itemToItemSource.fetch(ctx, 20, unbounded);
    const ids = first.map((h) => s.catalog.items.id(h.row));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).not.toContain('v1');
    expect(ids).not.toContain('v2');
    // The best hit is the nearest neighbour of a seed by the model's own vectors.
    const v1 = snap.retrieval.itemVector('v1')!;
    const v2 = snap.retrieval.itemVector('v2')!;
    const sim = (id: string) => Math.max(...[v1, v2].map((v) => v.reduce((a, x, i) => a + x * snap.retrieval.itemVector(id)![i]!, 0)));
    const exact = s.rows.items
      .map((i) => i.item_id)
      .filter((id) => id !== 'v1' && id !== 'v2')
      .sort((a, b) => sim(b) - sim(a));
    expect(ids[0]).toBe(exact[0]);
    expect(searches).toBe(1);
    expect(await itemToItemSource.fetch(s.pipeline.contextFor(request('u1')), 20, unbounded)).toEqual(first);
    expect(searches).toBe(1);
    expect(snap.neighbours.size).toBe(2);
  });
});
