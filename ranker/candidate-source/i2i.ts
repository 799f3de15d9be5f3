import { isPositiveEngagement } from '../../ingest/events.ts';
import type { Neighbours } from '../../models/ann/neighbour-cache.ts';
import { descending, type CandidateSource } from '../types.ts';

const MAX_SEEDS = 5;

/**
 * Neighbours of the last items the user engaged with positively (a play when watched well):
 * from the version's neighbour cache, the rest in one batched FAISS search.
 */
export const itemToItemSource: CandidateSource = {
  name: 'i2i',
  kind: 'source',
  defaultQuota: 80,
  personal: true,
  budgetMs: 15,
  failOpen: true,
  fetch(ctx, limit) {
    const snap = ctx.snapshot;
    if (!snap || snap.ann.size === 0) return [];
    const seeds: string[] = [];
    for (const e of ctx.user.recent) {
      if (!isPositiveEngagement(e) || seeds.includes(e.item_id)) continue;
      seeds.push(e.item_id);
      if (seeds.length >= MAX_SEEDS) break;
    }
    if (seeds.length === 0) return [];
    const perSeed = Math.ceil(limit / seeds.length) + 1;
    const now = ctx.request.now;
    const found: Neighbours[] = [];
    const missing: { id: string; vector: Float32Array }[] = [];
    for (const id of seeds) {
      const cached = snap.neighbours.get(id, perSeed, now);
      if (cached) found.push(cached);
      else {
        const vector = snap.annIds.get(id) ?? snap.retrieval.itemVector(id);
        if (vector) missing.push({ id, vector });
      }
    }
    if (missing.length > 0) {
      const dim = snap.ann.dim;
      const queries = new Float32Array(missing.length * dim);
      missing.forEach((m, i) => queries.set(m.vector, i * dim));
      const hits = snap.ann.searchLabels(queries, perSeed, snap.i2iParams);
      missing.forEach((m, q) => {
        const rows = new Int32Array(hits.k);
        const scores = new Float32Array(hits.k);
        let n = 0;
        for (let j = q * hits.k; j < (q + 1) * hits.k; j++) {
          const row = snap.annIds.catalogRow(hits.labels[j]!);
          if (row < 0) continue;
          rows[n] = row;
          scores[n++] = hits.scores[j]!;
        }
        const neighbours = { k: perSeed, rows: rows.subarray(0, n), scores: scores.subarray(0, n), at: now };
        snap.neighbours.set(m.id, neighbours);
        found.push(neighbours);
      });
    }
    const seedRows = new Set(seeds.map((id) => ctx.catalog.items.row(id)));
    const best = new Map<number, number>();
    for (const { rows, scores } of found) {
      for (let j = 0; j < Math.min(rows.length, perSeed); j++) {
        const row = rows[j]!;
        if (seedRows.has(row)) continue;
        const prev = best.get(row);
        if (prev === undefined || scores[j]! > prev) best.set(row, scores[j]!);
      }
    }
    return [...best]
      .sort((a, b) => descending(a[1], b[1]))
      .slice(0, limit)
      .map(([row, score]) => ({ row, score }));
  },
};
