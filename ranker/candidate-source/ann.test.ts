import { describe, expect, it } from 'vitest';
import { request, setup, unbounded } from '../stage-fixtures.ts';
import { fakeModels } from '../testing.ts';
import { annSource } from './ann.ts';

describe('ANN source', () => {
  it("the items nearest the user's vector, best first, none the session already had; nothing without a model", async () => {
    const s = setup();
    expect(await annSource.fetch(s.pipeline.contextFor(request('u1')), 10, unbounded)).toEqual([]);
    await s.holder.swap(
      fakeModels(
        'm1',
        s.rows.items.map((i) => i.item_id),
      ),
    );
    const first = await annSource.fetch(s.pipeline.contextFor(request('u1')), 10, unbounded);
    expect(first).toHaveLength(10);
    const scores = first.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const ctx = s.pipeline.contextFor(request('u1'));
    ctx.request.session.served.add(s.catalog.items.id(first[0]!.row));
    const next = await annSource.fetch(ctx, 10, unbounded);
    expect(next.map((h) => h.row)).not.toContain(first[0]!.row);
    expect(next[0]!.row).toBe(first[1]!.row);
  });
});
