import { describe, expect, it } from 'vitest';
import { contextWith, setup, unbounded } from '../stage-fixtures.ts';
import { newestFirstSelector } from './newest-first.ts';

describe('newest-first selector', () => {
  it("orders by day of publication, newest first, and by the ranker's score inside a day", async () => {
    const s = setup();
    const { ctx, candidates } = contextWith(
      s.pipeline,
      'u1',
      Array.from({ length: 40 }, (_, i) => ({ id: `v${i}`, source: 'following_tab' })),
    );
    candidates.forEach((c, i) => (c.score = (i * 7) % 11));
    const out = await newestFirstSelector.select(ctx, candidates, 30, unbounded);
    expect(out).toHaveLength(30);
    const day = (row: number) => Math.floor(s.catalog.itemPublished[row]! / 86_400);
    for (let i = 1; i < out.length; i++) {
      const [a, b] = [out[i - 1]!, out[i]!];
      expect(day(a.row)).toBeGreaterThanOrEqual(day(b.row));
      if (day(a.row) === day(b.row)) expect(a.score).toBeGreaterThanOrEqual(b.score);
    }
  });
});
