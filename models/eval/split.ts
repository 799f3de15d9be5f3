import { Rng } from '../../core/rng.ts';
import type { Interactions } from './interactions.ts';

export type Protocol = 'random' | 'loo';

/** Row indices of each user's train, validation and test interactions. */
export interface Split {
  train: number[][];
  valid: number[][];
  test: number[][];
}

/**
 * RecBole's per-user ratio split sizes: validation and test get floor(ratio * n) each, raised
 * to 1 when that is between 0 and 1 as long as training keeps more than one row.
 */
export function ratioCounts(n: number, ratios: readonly number[]): number[] {
  const cnt = ratios.map((r) => Math.floor(r * n));
  cnt[0] = n - cnt.slice(1).reduce((a, b) => a + b, 0);
  for (let i = 1; i < ratios.length; i++) {
    if (cnt[0]! <= 1) break;
    const share = ratios[ratios.length - i]! * n;
    if (share > 0 && share < 1) {
      cnt[cnt.length - i]! += 1;
      cnt[0]! -= 1;
    }
  }
  return cnt;
}

function byUser(data: Interactions): number[][] {
  const rows: number[][] = data.users.map(() => []);
  for (let r = 0; r < data.user.length; r++) rows[data.user[r]!]!.push(r);
  return rows;
}

/** RecBole `RS: [0.8, 0.1, 0.1]`, grouped by user, random order (seeded). */
export function randomSplit(data: Interactions, seed: number, ratios: readonly [number, number, number] = [0.8, 0.1, 0.1]): Split {
  const rng = new Rng(seed);
  const split: Split = { train: [], valid: [], test: [] };
  for (const rows of byUser(data)) {
    rng.shuffle(rows);
    const [a, b] = ratioCounts(rows.length, ratios) as [number, number, number];
    split.train.push(rows.slice(0, a));
    split.valid.push(rows.slice(a, a + b));
    split.test.push(rows.slice(a + b));
  }
  return split;
}

/** Leave-one-out by time: each user's last interaction is the test, the one before validation. */
export function leaveOneOutSplit(data: Interactions): Split {
  const split: Split = { train: [], valid: [], test: [] };
  for (const rows of byUser(data)) {
    rows.sort((x, y) => data.ts[x]! - data.ts[y]! || x - y);
    const n = rows.length;
    const test = n >= 2 ? rows.slice(n - 1) : [];
    const valid = n >= 3 ? rows.slice(n - 2, n - 1) : [];
    split.train.push(rows.slice(0, n - test.length - valid.length));
    split.valid.push(valid);
    split.test.push(test);
  }
  return split;
}

export function splitInteractions(data: Interactions, protocol: Protocol, seed: number): Split {
  return protocol === 'random' ? randomSplit(data, seed) : leaveOneOutSplit(data);
}

/**
 * The rows a model sees as each user's history when predicting the test rows. `loo` predicts
 * the last item from the whole prefix, validation item included (as SASRec and RecBole's
 * sequential models do); `random` from the training rows only (RecBole's general protocol).
 */
export function testHistory(split: Split, protocol: Protocol): number[][] {
  return protocol === 'loo' ? split.train.map((rows, u) => [...rows, ...split.valid[u]!]) : split.train;
}
