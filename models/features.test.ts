import { describe, expect, it } from 'vitest';
import type { ItemCounts } from '../ingest/online-state.ts';
import { type ItemRates, itemRates, RATE_PSEUDO_COUNT } from './features.ts';

const counts = (impressions: number, hits: number): ItemCounts => ({
  impressions,
  plays: impressions,
  completions: hits,
  watchRatioSum: hits,
  likes: hits,
  shares: 0,
  purchases: 0,
});
const rates = (c: ItemCounts) => itemRates(c, {} as ItemRates);

describe('item rates', () => {
  it('are zero for a video nobody has seen', () => {
    expect(rates(counts(0, 0))).toEqual({ completion_rate: 0, avg_watch_ratio: 0, like_rate: 0, share_rate: 0, purchase_rate: 0 });
  });

  it('shrink a few perfect impressions well below 1, and approach the raw rate with evidence', () => {
    const few = rates(counts(10, 10));
    expect(few.completion_rate).toBeCloseTo(10 / (10 + RATE_PSEUDO_COUNT), 6);
    const many = rates(counts(2000, 1000));
    expect(many.completion_rate).toBeGreaterThan(0.49);
    expect(many.completion_rate).toBeLessThan(0.5);
    // More of the same evidence never lowers a rate; a video skipped by all stays at 0.
    expect(rates(counts(20, 20)).like_rate).toBeGreaterThan(few.like_rate);
    expect(rates(counts(20, 0)).completion_rate).toBe(0);
  });

  it('count per impression, the watch ratio per play', () => {
    const r = rates({ impressions: 30, plays: 10, completions: 6, watchRatioSum: 8, likes: 3, shares: 0, purchases: 0 });
    expect(r.completion_rate).toBeCloseTo(6 / 40, 6);
    expect(r.avg_watch_ratio).toBeCloseTo(8 / 20, 6);
    expect(r.like_rate).toBeCloseTo(3 / 40, 6);
  });
});
