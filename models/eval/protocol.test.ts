import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.ts';
import { cosineNeighbours, itemKnn } from './baselines.ts';
import { easeWeights, invertSpd } from './ease.ts';
import { evaluateModels, type ModelReport, type Recommender, type RowsByUser } from './evaluate.ts';
import { parseInteractions } from './interactions.ts';
import { leaveOneOutSplit, randomSplit, testHistory } from './split.ts';
import { summarizeSeeds } from './summary.ts';

/** Each user walks a chain: item i is followed by item i + 1; every user has 5 events. */
function chains(users: number, items: number): string {
  const lines = ['user_id\titem_id\ttimestamp'];
  for (let u = 0; u < users; u++) for (let t = 0; t < 5; t++) lines.push(`u${u}\ti${(u * 3 + t) % items}\t${t}`);
  return lines.join('\n');
}

/** Scores the successor of the user's most recent history item. */
function successor(): Recommender & { histories: number[][] } {
  let itemIndex = new Map<string, number>();
  let items: string[] = [];
  let data: { item: Int32Array; ts: Float64Array } | undefined;
  const rec = {
    name: 'successor',
    histories: [] as number[][],
    fit(ctx: Parameters<Recommender['fit']>[0]) {
      data = ctx.data;
      items = ctx.data.items;
      itemIndex = new Map(items.map((id, i) => [id, i]));
    },
    score(users: readonly number[], history: RowsByUser, out: Float32Array[]) {
      users.forEach((u, n) => {
        rec.histories[u] = [...history[u]!];
        const last = [...history[u]!].sort((a, b) => data!.ts[b]! - data!.ts[a]!)[0]!;
        const k = Number(items[data!.item[last]!]!.slice(1));
        out[n]!.fill(0);
        out[n]![itemIndex.get(`i${k + 1}`) ?? 0] = 2;
      });
    },
  };
  return rec;
}

describe('history at each phase', () => {
  const data = parseInteractions(chains(12, 60));

  it('loo predicts the test item from the whole prefix, validation item included, and excludes it from the ranking', async () => {
    const split = leaveOneOutSplit(data);
    const rec = successor();
    const [report] = await evaluateModels(data, split, 'loo', [rec], [1], 1);
    // The test item is the validation item's successor: found at rank 1 only with the prefix.
    expect(report!.test['hit@1']).toBe(1);
    expect(report!.valid['hit@1']).toBe(1);
    split.test.forEach((_, u) => expect(rec.histories[u]!.sort()).toEqual([...split.train[u]!, ...split.valid[u]!].sort()));
  });

  it('random predicts from the training rows only (RecBole)', () => {
    const split = randomSplit(data, 3);
    expect(testHistory(split, 'random')).toBe(split.train);
    const loo = testHistory(leaveOneOutSplit(data), 'loo');
    expect(loo.map((rows) => rows.length)).toEqual(data.users.map(() => 4));
  });

  it('ranks no item the user already has in the history or validation', async () => {
    // Scores every user's own validation item highest: it must be skipped, leaving the test item first.
    const split = leaveOneOutSplit(data);
    const rec: Recommender = {
      name: 'own-items',
      fit() {},
      score(users, _history, out) {
        users.forEach((u, n) => {
          out[n]!.fill(0);
          out[n]![data.item[split.valid[u]![0]!]!] = 3;
          out[n]![data.item[split.train[u]![0]!]!] = 2;
          out[n]![data.item[split.test[u]![0]!]!] = 1;
        });
      },
    };
    const [report] = await evaluateModels(data, split, 'loo', [rec], [1], 1);
    expect(report!.test['hit@1']).toBe(1);
  });
});

describe('itemknn', () => {
  it('scores from neighbour lists exactly as the per-item scan over neighbours did', async () => {
    const rng = new Rng(5);
    const lines = ['user_id\titem_id\ttimestamp'];
    for (let u = 0; u < 40; u++) for (let t = 0; t < 8; t++) lines.push(`u${u}\ti${Math.floor(rng.next() ** 2 * 30)}\t${t}`);
    const data = parseInteractions(lines.join('\n'));
    const split = randomSplit(data, 1);
    const knn = itemKnn(5);
    knn.fit({ data, split, ks: [10], seed: 1, validate: () => ({}) });
    const nItems = data.items.length;
    const itemsOf = split.train.map((rows) => [...new Set(rows.map((r) => data.item[r]!))]);
    const sim = cosineNeighbours(nItems, itemsOf, 5);
    const users = data.users.map((_, u) => u);
    const out = users.map(() => new Float32Array(nItems));
    knn.score(users, split.train, out);
    let nonZero = 0;
    users.forEach((u) => {
      const mine = new Set(itemsOf[u]);
      for (let i = 0; i < nItems; i++) {
        // The old O(items x neighbours) scoring: sum of sim(i, j) over i's neighbours j in the history.
        let expected = 0;
        for (let k = 0; k < sim.idx[i]!.length; k++) if (mine.has(sim.idx[i]![k]!)) expected += sim.val[i]![k]!;
        expect(out[u]![i]).toBeCloseTo(expected, 5);
        if (expected > 0) nonZero++;
      }
    });
    expect(nonZero).toBeGreaterThan(100);
  });
});

describe('seeds', () => {
  it('aggregates per-seed runs into mean and sample standard deviation per model', () => {
    const report = (model: string, ndcg: number, fit: number): ModelReport => ({ model, test: { 'ndcg@10': ndcg }, valid: {}, fitSeconds: fit, scoreSeconds: 1 });
    const [a, b] = summarizeSeeds([
      [report('a', 0.1, 1), report('b', 0.5, 3)],
      [report('a', 0.2, 2), report('b', 0.5, 3)],
      [report('a', 0.3, 3), report('b', 0.5, 3)],
    ]);
    expect(a!.mean['ndcg@10']).toBeCloseTo(0.2);
    expect(a!.std['ndcg@10']).toBeCloseTo(0.1);
    expect(a!.fitSeconds).toEqual({ mean: 2, std: 1 });
    expect(b!.std['ndcg@10']).toBe(0);
    expect(a!.seeds).toBe(3);
  });
});

describe('ease', () => {
  it('inverts a symmetric positive definite matrix and gives item weights with a zero diagonal', () => {
    const rng = new Rng(2);
    const n = 6;
    const x = Array.from({ length: 20 * n }, () => (rng.next() < 0.4 ? 1 : 0));
    const gram = new Float64Array(n * n);
    for (let u = 0; u < 20; u++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gram[i * n + j]! += x[u * n + i]! * x[u * n + j]!;
    const a = Float64Array.from(gram, (v, k) => v + (k % (n + 1) === 0 ? 1 : 0));
    const inv = Float64Array.from(a);
    invertSpd(inv, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
    const b = easeWeights(gram, n, 1);
    for (let i = 0; i < n; i++) expect(b[i * n + i]).toBe(0);
    // B = I - P diag(P)^-1 solves the ridge regression of each item on the others: (G + lambda I) B = G - diagMat(...).
    expect(b[1]).toBeCloseTo(-inv[1]! / inv[n + 1]!, 12);
  });
});
