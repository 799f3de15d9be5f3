import { describe, expect, it } from 'vitest';
import { request, setup, unbounded } from '../stage-fixtures.ts';
import { kolSource } from './kol.ts';

describe('KOL source', () => {
  it("the newest videos of the biggest creators in the user's language, two each", async () => {
    const s = setup();
    const ctx = s.pipeline.contextFor(request('u1'));
    const hits = await kolSource.fetch(ctx, 30, unbounded);
    expect(hits.length).toBeGreaterThan(0);
    const perCreator = new Map<number, number>();
    for (const { row } of hits) {
      const creator = s.catalog.itemCreator[row]!;
      expect(s.catalog.creatorKol[creator]).toBe(1);
      expect(s.catalog.itemLocale[row]).toBe(ctx.localeCode);
      perCreator.set(creator, (perCreator.get(creator) ?? 0) + 1);
    }
    expect(Math.max(...perCreator.values())).toBe(2);
  });
});
