import { describe, expect, it } from 'vitest';
import { parseInteractions } from './interactions.ts';
import { meanMetrics, topK, userMetrics } from './metrics.ts';
import { leaveOneOutSplit, randomSplit, ratioCounts } from './split.ts';

function synthetic(users: number, perUser: (u: number) => number): string {
  const lines = ['user_id:token\titem_id:token\trating:float\ttimestamp:float'];
  for (let u = 0; u < users; u++) {
    for (let k = 0; k < perUser(u); k++) lines.push(`u${u}\ti${(u * 7 + k * 3) % 97}\t${1 + (k % 5)}\t${1000 + u * 10 + ((k * 37) % 50) + k * 100}`);
  }
  return lines.join('\n');
}

describe('interactions file', () => {
  const RATED = 'user_id:token,item_id:token,timestamp:float,rating:float\na,x,5,2\na,y,6,4\na,x,7,9\nb,x,1,3\n';

  it('reads RecBole name:type headers, treats every row as an implicit positive and drops repeated pairs', () => {
    const d = parseInteractions(RATED);
    expect(d.users).toEqual(['a', 'b']);
    expect(d.items).toEqual(['x', 'y']);
    expect(d.user.length).toBe(3);
    expect(d.duplicates).toBe(1);
    expect(d.weightColumn).toBeUndefined();
    expect([...d.weight]).toEqual([1, 1, 1]);
  });

  it('weights rows by a column only when asked, scaled to mean 1', () => {
    const d = parseInteractions(RATED, 'input', { weightColumn: 'rating' });
    expect(d.weightColumn).toBe('rating');
    expect([...d.weight].map((w) => +w.toFixed(3))).toEqual([0.667, 1.333, 1]);
    expect(() => parseInteractions(RATED, 'input', { weightColumn: 'watch_ms' })).toThrow(/no column "watch_ms"/);
  });

  it('reads a file without a header given its columns', () => {
    const d = parseInteractions('1,10,c1,pv,100\n1,11,c1,buy,200\n', 'taobao', { columns: ['user_id', 'item_id', 'category', 'behavior', 'timestamp'] });
    expect(d.items).toEqual(['10', '11']);
    expect([...d.ts]).toEqual([100, 200]);
    expect(d.kind).toEqual(['pv', 'buy']);
  });

  it('names the missing columns', () => {
    expect(() => parseInteractions('user,item,timestamp\n1,2,3')).toThrow(/missing user_id, item_id/);
  });
});

describe('split protocols', () => {
  it('computes RecBole ratio counts', () => {
    expect(ratioCounts(20, [0.8, 0.1, 0.1])).toEqual([16, 2, 2]);
    expect(ratioCounts(25, [0.8, 0.1, 0.1])).toEqual([21, 2, 2]);
    expect(ratioCounts(5, [0.8, 0.1, 0.1])).toEqual([3, 1, 1]);
    // The test split is topped up first, as in RecBole.
    expect(ratioCounts(2, [0.8, 0.1, 0.1])).toEqual([1, 0, 1]);
  });

  it("random: per-user 80/10/10, disjoint, and no test item in that user's training data", () => {
    const d = parseInteractions(synthetic(30, (u) => 10 + u));
    const s = randomSplit(d, 1);
    d.users.forEach((_, u) => {
      const n = 10 + u;
      const [a, b, c] = ratioCounts(n, [0.8, 0.1, 0.1]);
      expect([s.train[u]!.length, s.valid[u]!.length, s.test[u]!.length]).toEqual([a, b, c]);
      const train = new Set(s.train[u]!.map((r) => d.item[r]));
      for (const r of [...s.test[u]!, ...s.valid[u]!]) expect(train.has(d.item[r]!)).toBe(false);
      for (const r of [...s.train[u]!, ...s.valid[u]!, ...s.test[u]!]) expect(d.user[r]).toBe(u);
    });
    expect(randomSplit(d, 1)).toEqual(s);
    expect(randomSplit(d, 2)).not.toEqual(s);
  });

  it('loo: the last item by time is the test, the one before it validation, training is earlier', () => {
    const d = parseInteractions(synthetic(10, () => 8));
    const s = leaveOneOutSplit(d);
    d.users.forEach((_, u) => {
      const [test] = s.test[u]!;
      const [valid] = s.valid[u]!;
      const maxTrain = Math.max(...s.train[u]!.map((r) => d.ts[r]!));
      expect(d.ts[valid!]!).toBeGreaterThanOrEqual(maxTrain);
      expect(d.ts[test!]!).toBeGreaterThanOrEqual(d.ts[valid!]!);
      const train = new Set(s.train[u]!.map((r) => d.item[r]));
      expect(train.has(d.item[test!]!)).toBe(false);
    });
  });
});

describe('metrics', () => {
  it('match a hand-computed case', () => {
    // Ranked [5, 1, 9, 3], relevant {1, 3, 7}: hits at ranks 2 and 4.
    const m = userMetrics([5, 1, 9, 3], new Set([1, 3, 7]), [2, 4]);
    expect(m['hit@2']).toBe(1);
    expect(m['recall@2']).toBeCloseTo(1 / 3);
    expect(m['precision@2']).toBeCloseTo(1 / 2);
    expect(m['mrr@2']).toBeCloseTo(1 / 2);
    expect(m['ndcg@2']).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)));
    expect(m['recall@4']).toBeCloseTo(2 / 3);
    expect(m['precision@4']).toBeCloseTo(2 / 4);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(m['ndcg@4']).toBeCloseTo(dcg / idcg);
    const miss = userMetrics([0, 2], new Set([1]), [2]);
    expect(miss).toEqual({ 'recall@2': 0, 'mrr@2': 0, 'ndcg@2': 0, 'hit@2': 0, 'precision@2': 0 });
    expect(meanMetrics([m, miss])['hit@2']).toBe(0.5);
  });

  it('topK returns the best indices in order and skips those marked -Infinity', () => {
    expect([...topK([0.1, 0.9, 0.5, 0.7, 0.3], 3)]).toEqual([1, 3, 2]);
    expect([...topK([0.1, -Infinity, 0.5, 0.7, 0.3], 3)]).toEqual([3, 2, 4]);
    expect([...topK([1, 2, -Infinity], 5)]).toEqual([1, 0]);
    // Equal scores: the smaller index first, also for the last place kept.
    expect([...topK([0.5, 0.9, 0.5, 0.9, 0.5], 3)]).toEqual([1, 3, 0]);
  });
});
