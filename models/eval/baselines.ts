import type { EvalContext, Recommender } from './evaluate.ts';

/** Most interacted items in training, the same list for everyone. */
export function popular(): Recommender {
  let counts = new Float32Array(0);
  return {
    name: 'popular',
    fit(ctx) {
      counts = new Float32Array(ctx.data.items.length);
      for (const rows of ctx.split.train) for (const r of rows) counts[ctx.data.item[r]!]! += 1;
    },
    score(_users, out) {
      for (let u = 0; u < out.length; u++) out[u]!.set(counts);
    },
  };
}

/**
 * RecBole's ItemKNN: cosine similarity between item columns of the user-item matrix, the top
 * `neighbours` kept per item, and a user's score for i = sum of sim(i, j) over their items j.
 */
export function itemKnn(neighbours = 100): Recommender {
  let nItems = 0;
  let sim: { idx: Int32Array; val: Float32Array }[] = [];
  let history: number[][] = [];
  return {
    name: 'itemknn',
    fit(ctx) {
      nItems = ctx.data.items.length;
      history = ctx.split.train.map((rows) => [...new Set(rows.map((r) => ctx.data.item[r]!))]);
      const usersOf: number[][] = Array.from({ length: nItems }, () => []);
      history.forEach((items, u) => items.forEach((i) => usersOf[i]!.push(u)));
      const norm = usersOf.map((us) => Math.sqrt(us.length));
      const co = new Float32Array(nItems);
      sim = usersOf.map((users, i) => {
        co.fill(0);
        for (const u of users) for (const j of history[u]!) co[j]! += 1;
        co[i] = 0;
        const cand: [number, number][] = [];
        for (let j = 0; j < nItems; j++) if (co[j]! > 0) cand.push([j, co[j]! / (norm[i]! * norm[j]! + 1e-6)]);
        cand.sort((a, b) => b[1] - a[1]);
        const top = cand.slice(0, neighbours);
        return { idx: Int32Array.from(top.map((c) => c[0])), val: Float32Array.from(top.map((c) => c[1])) };
      });
    },
    score(users, out) {
      users.forEach((u, n) => {
        const row = out[n]!;
        row.fill(0);
        // score(i) = sum over j in history of sim(i, j), where j is among i's neighbours.
        const mine = new Set(history[u]);
        for (let i = 0; i < nItems; i++) {
          const s = sim[i]!;
          let acc = 0;
          for (let k = 0; k < s.idx.length; k++) if (mine.has(s.idx[k]!)) acc += s.val[k]!;
          row[i] = acc;
        }
      });
    },
  };
}
