import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AnnIndex } from './faiss-index.ts';
import { Rng } from '../../core/rng.ts';

const run = promisify(execFile);
const ANN_INDEX = fileURLToPath(new URL('./faiss-index.ts', import.meta.url));

function normalisedRandom(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const rnd = () => rng.next() - 0.5;
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (v[i * dim + d] = rnd()) ** 2;
    for (let d = 0; d < dim; d++) v[i * dim + d]! /= Math.sqrt(norm);
  }
  return v;
}

/** `n` normalised random vectors and their ids `${prefix}0`, `${prefix}1`, ... */
function randomItems(n: number, dim: number, seed: number, prefix = 'i'): { ids: string[]; vectors: Float32Array } {
  return { ids: Array.from({ length: n }, (_, i) => `${prefix}${i}`), vectors: normalisedRandom(n, dim, seed) };
}

function exactTop(vectors: Float32Array, q: Float32Array, dim: number, k: number): number[] {
  const scores = Array.from({ length: vectors.length / dim }, (_, i) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += vectors[i * dim + d]! * q[d]!;
    return [i, s] as const;
  });
  return scores
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([i]) => i);
}

describe('AnnIndex through the compiled faiss-node addon', () => {
  const dim = 16;
  const n = 2000;
  const { ids, vectors } = randomItems(n, dim, 1, 'item-');

  it('finds the exact inner-product neighbours with a Flat index', () => {
    const ann = AnnIndex.build(dim, ids, vectors, 'Flat');
    expect(ann.size).toBe(n);
    const queries = normalisedRandom(3, dim, 99);
    const results = ann.search(queries, 10);
    expect(results).toHaveLength(3);
    for (let q = 0; q < 3; q++) {
      const want = exactTop(vectors, queries.subarray(q * dim, (q + 1) * dim), dim, 10).map((i) => ids[i]);
      expect(results[q]!.map((h) => h.id)).toEqual(want);
      const scores = results[q]!.map((h) => h.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
  });

  it('gives the same hits as labels (rows of the index), k per query', () => {
    const ann = AnnIndex.build(dim, ids, vectors, 'Flat');
    const queries = normalisedRandom(2, dim, 5);
    const { labels, scores, k } = ann.searchLabels(queries, 7);
    expect(k).toBe(7);
    const byId = ann.search(queries, 7);
    for (let q = 0; q < 2; q++) {
      expect([...labels.slice(q * k, (q + 1) * k)].map((l) => ids[l])).toEqual(byId[q]!.map((h) => h.id));
      expect([...scores.slice(q * k, (q + 1) * k)]).toEqual(byId[q]!.map((h) => h.score));
    }
    // Exact search: the scores are the inner products.
    const best = labels[0]!;
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += queries[d]! * vectors[best * dim + d]!;
    expect(scores[0]).toBeCloseTo(dot, 5);
    const empty = AnnIndex.build(dim, [], new Float32Array(0)).searchLabels(queries, 7);
    expect([empty.labels.length, empty.scores.length, empty.k]).toEqual([0, 0, 0]);
  });

  it('finds an item as its own nearest neighbour after a save and load', () => {
    const ann = AnnIndex.build(dim, ids, vectors, 'IVF16,Flat');
    const loaded = AnnIndex.fromBuffer(ann.toBuffer());
    expect(loaded.size).toBe(n);
    expect(loaded.description).toBe('IVF16,Flat');
    const self = loaded.search(vectors.subarray(42 * dim, 43 * dim), 1)[0]![0]!;
    expect(self.id).toBe('item-42');
    expect(self.score).toBeCloseTo(1, 4);
  });

  /**
   * Runs `step` 16 times on a saved 20,000 x 128 Flat index (10 MiB) in a process of its own (its RSS is
   * the loop's alone, and a full GC of a small heap is cheap; unit test files share their process,
   * whose heap is large) and returns how far RSS grew. Wide rows, few ids and equal vectors: what is
   * measured is the bytes; parsing ids or drawing vectors only costs time.
   */
  async function rssGrowthOver16(step: string): Promise<{ savedMiB: number; grewMiB: number }> {
    const script = `
      const { AnnIndex } = await import(${JSON.stringify(ANN_INDEX)});
      const [rows, width] = [20_000, 128];
      const ids = Array.from({ length: rows }, (_, i) => 'r' + i);
      const index = AnnIndex.build(width, ids, new Float32Array(rows * width).fill(0.125), 'Flat');
      const saved = index.toBuffer();
      const step = () => { ${step} };
      // faiss-node frees a collected index in a finaliser that runs after the GC, on a later turn.
      const collect = async () => { gc(); await new Promise((resolve) => setImmediate(resolve)); gc(); };
      step();
      await collect();
      const before = process.memoryUsage().rss;
      for (let i = 0; i < 16; i++) { step(); await collect(); }
      process.stdout.write(JSON.stringify({ savedMiB: saved.length / 2 ** 20, grewMiB: (process.memoryUsage().rss - before) / 2 ** 20 }));`;
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    return JSON.parse(stdout) as { savedMiB: number; grewMiB: number };
  }

  it('frees what a load read: loading an index again and again does not grow the process', async () => {
    // faiss-node's own fromBuffer kept a copy of every buffer it read (160 MiB over these 16).
    const { savedMiB, grewMiB } = await rssGrowthOver16("if (AnnIndex.fromBuffer(saved).size !== rows) throw new Error('short index');");
    expect(savedMiB).toBeGreaterThan(9.5);
    expect(grewMiB).toBeLessThan(48);
  });

  it('frees what a save wrote: saving an index again and again does not grow the process', async () => {
    // faiss-node's toBuffer never freed its writer, so every save leaked the serialised index
    // (the soak's per-minute memory reading grew the server by its 16 MiB index each time).
    const { savedMiB, grewMiB } = await rssGrowthOver16("if (index.toBuffer().length !== saved.length) throw new Error('short save');");
    expect(savedMiB).toBeGreaterThan(9.5);
    expect(grewMiB).toBeLessThan(48);
  });

  it('appends new items without a rebuild', () => {
    const ann = AnnIndex.build(dim, ids.slice(0, 100), vectors.subarray(0, 100 * dim));
    const fresh = normalisedRandom(1, dim, 7);
    ann.add(['fresh-item'], fresh);
    expect(ann.search(fresh, 1)[0]![0]!.id).toBe('fresh-item');
  });

  it('rejects vectors that do not match the ids', () => {
    expect(() => AnnIndex.build(dim, ['a', 'b'], new Float32Array(dim))).toThrow(/2 ids need 32 floats, got 16/);
  });
});

describe('search-time parameters (patched into faiss-node)', () => {
  it('raises IVF recall with nprobe and rejects unknown parameters', () => {
    const dim = 8;
    const { ids, vectors } = randomItems(4000, dim, 3);
    const exact = AnnIndex.build(dim, ids, vectors, 'Flat');
    const ivf = AnnIndex.build(dim, ids, vectors, 'IVF64,Flat');
    const queries = normalisedRandom(50, dim, 4);
    const truth = exact.search(queries, 10).map((hits) => new Set(hits.map((h) => h.id)));
    const recall = () => ivf.search(queries, 10).reduce((acc, hits, q) => acc + hits.filter((h) => truth[q]!.has(h.id)).length, 0) / (50 * 10);
    ivf.setSearchParameters('nprobe=1');
    const low = recall();
    ivf.setSearchParameters('nprobe=64');
    expect(recall()).toBe(1);
    expect(low).toBeLessThan(1);
    expect(() => ivf.setSearchParameters('noSuchParameter=3')).toThrow();
  });
});

describe('fp16 IVF lists (the default at scale)', () => {
  it('find the same neighbours as float32 lists, with scores to fp16 precision, after a save and load and an append', () => {
    const dim = 32;
    const n = 4000;
    const { ids, vectors } = randomItems(n, dim, 5);
    const f32 = AnnIndex.build(dim, ids.slice(0, 3000), vectors.subarray(0, 3000 * dim), 'IVF32,Flat');
    const f16 = AnnIndex.fromBuffer(AnnIndex.build(dim, ids.slice(0, 3000), vectors.subarray(0, 3000 * dim), 'IVF32,SQfp16').toBuffer());
    f32.add(ids.slice(3000), vectors.subarray(3000 * dim));
    f16.add(ids.slice(3000), vectors.subarray(3000 * dim));
    expect([f16.size, f16.description]).toEqual([n, 'IVF32,SQfp16']);
    for (const ann of [f32, f16]) ann.setSearchParameters('nprobe=8');
    const queries = normalisedRandom(40, dim, 6);
    const a = f32.search(queries, 10);
    const b = f16.search(queries, 10);
    let same = 0;
    a.forEach((hits, q) => {
      const other = new Map(b[q]!.map((h) => [h.id, h.score]));
      for (const h of hits) {
        if (!other.has(h.id)) continue;
        same++;
        expect(other.get(h.id)!).toBeCloseTo(h.score, 2);
      }
    });
    expect(same / (40 * 10)).toBeGreaterThan(0.97);
    expect(f16.search(vectors.subarray(3500 * dim, 3501 * dim), 1)[0]![0]!.id).toBe('i3500');
  });
});

describe('AnnIndex.buildInWorker', () => {
  it('builds in a child process and gives the same neighbours as an in-process build', async () => {
    const dim = 8;
    const { ids, vectors } = randomItems(500, dim, 3, 'w');
    const built = await AnnIndex.buildInWorker(dim, ids, vectors, 'Flat');
    const local = AnnIndex.build(dim, ids, vectors, 'Flat');
    const q = normalisedRandom(2, dim, 11);
    expect(built.size).toBe(500);
    expect(built.search(q, 5)).toEqual(local.search(q, 5));
  });

  it('reports a bad factory string from the child', async () => {
    await expect(AnnIndex.buildInWorker(4, ['a'], new Float32Array(4), 'NoSuchIndex')).rejects.toThrow(/building FAISS NoSuchIndex index failed/);
  });
});

describe('AnnIndex per-search parameters', () => {
  it('applies them to one search and restores the index parameters after it', () => {
    const dim = 8;
    const n = 4000;
    const { ids, vectors } = randomItems(n, dim, 11, 'v');
    const ann = AnnIndex.build(dim, ids, vectors, 'IVF64,Flat');
    const queries = vectors.subarray(0, 20 * dim);
    expect(() => ann.search(queries, 10, 'nprobe=1')).toThrow(/setSearchParameters/);
    ann.setSearchParameters('nprobe=64'); // every list: exact
    const exact = ann.search(queries, 10).map((hits) => hits.map((h) => h.id));
    const cheap = ann.search(queries, 10, 'nprobe=1').map((hits) => hits.map((h) => h.id));
    expect(cheap).not.toEqual(exact);
    expect(ann.search(queries, 10).map((hits) => hits.map((h) => h.id))).toEqual(exact);
  });
});
