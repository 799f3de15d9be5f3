import type { Recommender } from './evaluate.ts';

/** Most interacted items in training, the same list for everyone. */
export function popular(): Recommender {
  let counts = new Float32Array(0);
  return {
    name: 'popular',
    fit(ctx) {
      counts = new Float32Array(ctx.data.items.length);
      for (const rows of ctx.split.train) for (const r of rows) counts[ctx.data.item[r]!]! += 1;
    },
    score(users, _history, out) {
      for (let n = 0; n < users.length; n++) out[n]!.set(counts);
    },
  };
}

/** Each item's top neighbours, as parallel arrays. */
export interface NeighbourLists {
  idx: Int32Array[];
  val: Float32Array[];
}

/**
 * RecBole's ItemKNN: cosine similarity between item columns of the user-item matrix, the top
 * `neighbours` kept per item, and a user's score for i = sum of sim(i, j) over their items j
 * that are among i's neighbours.
 */
export function itemKnn(neighbours = 100): Recommender {
  let itemOf: Int32Array = new Int32Array(0);
  // For each item j, the items i that keep j as a neighbour, with sim(i, j): scoring walks
  // these lists from the user's history instead of every (user, item, neighbour) triple.
  let reverse: NeighbourLists = { idx: [], val: [] };
  return {
    name: 'itemknn',
    fit(ctx) {
      itemOf = ctx.data.item;
      reverse = reverseLists(
        cosineNeighbours(
          ctx.data.items.length,
          ctx.split.train.map((rows) => [...new Set(rows.map((r) => itemOf[r]!))]),
          neighbours,
        ),
      );
    },
    score(users, history, out) {
      users.forEach((u, n) => {
        const row = out[n]!;
        row.fill(0);
        for (const j of new Set(history[u]!.map((r) => itemOf[r]!))) {
          const idx = reverse.idx[j]!;
          const val = reverse.val[j]!;
          for (let k = 0; k < idx.length; k++) row[idx[k]!]! += val[k]!;
        }
      });
    },
  };
}

/** Each item's `neighbours` most cosine-similar items over users' item sets. */
export function cosineNeighbours(nItems: number, itemsOfUser: readonly (readonly number[])[], neighbours: number): NeighbourLists {
  const usersOf: number[][] = Array.from({ length: nItems }, () => []);
  itemsOfUser.forEach((items, u) => items.forEach((i) => usersOf[i]!.push(u)));
  const norm = usersOf.map((us) => Math.sqrt(us.length));
  const co = new Float32Array(nItems);
  const touched: number[] = [];
  const out: NeighbourLists = { idx: [], val: [] };
  usersOf.forEach((users, i) => {
    for (const u of users) {
      for (const j of itemsOfUser[u]!) {
        if (co[j] === 0) touched.push(j);
        co[j]! += 1;
      }
    }
    const cand: [number, number][] = [];
    for (const j of touched) {
      if (j !== i) cand.push([j, co[j]! / (norm[i]! * norm[j]! + 1e-6)]);
      co[j] = 0;
    }
    touched.length = 0;
    cand.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const top = cand.slice(0, neighbours);
    out.idx.push(Int32Array.from(top, (c) => c[0]));
    out.val.push(Float32Array.from(top, (c) => c[1]));
  });
  return out;
}

/** Inverts neighbour lists: for each item j, the items that list j, with the same similarity. */
function reverseLists(lists: NeighbourLists): NeighbourLists {
  const n = lists.idx.length;
  const count = new Int32Array(n);
  for (const idx of lists.idx) for (const j of idx) count[j]! += 1;
  const out: NeighbourLists = { idx: [], val: [] };
  for (let j = 0; j < n; j++) {
    out.idx.push(new Int32Array(count[j]!));
    out.val.push(new Float32Array(count[j]!));
  }
  count.fill(0);
  lists.idx.forEach((idx, i) => {
    const val = lists.val[i]!;
    for (let k = 0; k < idx.length; k++) {
      const j = idx[k]!;
      const p = count[j]!++;
      out.idx[j]![p] = i;
      out.val[j]![p] = val[k]!;
    }
  });
  return out;
}
