import { dotAt } from '../core/dot.ts';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../test/stack.ts';
import { AnnIndex } from './ann/faiss-index.ts';
import { IdIndex } from './catalog/columns.ts';
import { annFactory, annSearchParams, i2iSearchParams, ItemVectors, ModelHolder } from './models.ts';
import { fakeModels } from './testing.ts';

describe('ANN choice', () => {
  it('searches small catalogs exactly and large ones with HNSW, with search parameters per factory', () => {
    const config = testConfig();
    expect(annFactory(config, config.ranker.ann.flatMaxItems)).toBe('Flat');
    expect(annFactory(config, config.ranker.ann.flatMaxItems + 1)).toMatch(/^IVF\d+,SQfp16$/);
    expect(annFactory(config, 100_000)).toBe('IVF1024,SQfp16');
    expect(annFactory(config, 1_000_000)).toBe('IVF4096,SQfp16');
    expect(annSearchParams(config, 'HNSW32')).toBe('efSearch=256');
    expect(annSearchParams(config, 'IVF4096,Flat')).toBe('nprobe=32');
    expect(annSearchParams(config, 'Flat')).toBe('');
    expect(i2iSearchParams(config, 'IVF4096,Flat')).toBe('nprobe=8');
    expect(i2iSearchParams(config, 'HNSW32')).toBe('efSearch=64');
    expect(i2iSearchParams(config, 'Flat')).toBe('');
    const set = testConfig({ ranker: { ann: { factory: 'IVF64,Flat', searchParams: 'nprobe=8' } } });
    expect(annFactory(set, 10)).toBe('IVF64,Flat');
    expect(annSearchParams(set, 'IVF64,Flat')).toBe('nprobe=8');
  });
});

describe('ItemVectors', () => {
  it('returns views of the promoted matrix and of vectors added later, by id', () => {
    const dim = 2;
    const vectors = new ItemVectors(dim, ['a', 'b'], Float32Array.from([1, 0, 0, 1]), new IdIndex());
    expect(Array.from(vectors.get('b')!)).toEqual([0, 1]);
    expect(vectors.get('zz')).toBeUndefined();
    // More than one block of added vectors.
    const n = 5000;
    const ids = Array.from({ length: n }, (_, i) => `n${i}`);
    vectors.add(ids, Float32Array.from({ length: n * dim }, (_, k) => k));
    expect(vectors.size).toBe(n + 2);
    expect(Array.from(vectors.get('n0')!)).toEqual([0, 1]);
    expect(Array.from(vectors.get('n4500')!)).toEqual([9000, 9001]);
    expect(vectors.has('n4999') && !vectors.has('n5000')).toBe(true);
    expect(() => new ItemVectors(dim, ['a'], new Float32Array(3), new IdIndex())).toThrow(/2 floats/);
  });

  it('links ANN labels and catalog rows both ways, including items that reach the catalog later', () => {
    const items = new IdIndex();
    for (const id of ['x', 'b', 'a']) items.upsert(id); // catalog rows: x 0, b 1, a 2
    const vectors = new ItemVectors(2, ['a', 'b', 'late'], Float32Array.from([1, 0, 0, 1, 5, 5]), items);
    expect([0, 1, 2].map((label) => vectors.catalogRow(label))).toEqual([2, 1, -1]);
    // rowVector finds the vector of a catalog row, in the promoted matrix and in added blocks.
    expect(dotRow(vectors, 2, 'a', Float32Array.from([3, 7]))).toBe(3);
    expect(dotRow(vectors, 1, 'b', Float32Array.from([3, 7]))).toBe(7);
    expect(dotRow(vectors, 0, 'x', Float32Array.from([3, 7]))).toBeUndefined();
    // An item the catalog gains after the swap is found by id before and after it is there.
    expect(Array.from(vectors.get('late')!)).toEqual([5, 5]);
    expect(items.upsert('late').row).toBe(3);
    expect(Array.from(vectors.get('late')!)).toEqual([5, 5]);
    expect(vectors.catalogRow(2)).toBe(3);
    expect(dotRow(vectors, 3, 'late', Float32Array.from([1, -1]))).toBe(0);
    vectors.add(['x'], Float32Array.from([2, 4]));
    expect(vectors.catalogRow(3)).toBe(0);
    expect(dotRow(vectors, 0, 'x', Float32Array.from([1, 1]))).toBe(6);
  });
});

function dotRow(vectors: ItemVectors, row: number, id: string, v: Float32Array): number | undefined {
  const at = vectors.rowVector(row, id);
  return at && dotAt(at.block, at.at, v);
}

describe('ModelHolder ANN wiring', () => {
  it('serves a prebuilt index with the configured search parameters and exposes the served vectors', async () => {
    const config = testConfig({ ranker: { ann: { factory: 'HNSW8', searchParams: 'efSearch=64' } } });
    const ids = Array.from({ length: 300 }, (_, i) => `v${i}`);
    const m = fakeModels('m1', ids, 8);
    const holder = new ModelHolder(config, new IdIndex());
    await holder.swap({ ...m, ann: AnnIndex.build(8, ids, m.itemVectors, 'HNSW8') });
    const snap = holder.current!;
    expect(snap.ann.description).toBe('HNSW8');
    expect(Array.from(snap.annIds.get('v7')!)).toEqual(Array.from(m.itemVectors.subarray(7 * 8, 8 * 8)));
    expect(snap.ann.search(m.itemVectors.subarray(7 * 8, 8 * 8), 1)[0]![0]!.id).toBe('v7');

    // An index that does not match the version's items is refused; the previous version keeps serving.
    await holder.swap({ ...fakeModels('m2', ids, 8), ann: AnnIndex.build(8, ids.slice(0, 10), m.itemVectors.subarray(0, 80), 'HNSW8') });
    expect(holder.current!.version).toBe('m1');

    // One built with another factory than configured is rebuilt the configured way.
    await holder.swap({ ...fakeModels('m4', ids, 8), ann: AnnIndex.build(8, ids, m.itemVectors, 'Flat') });
    expect(holder.current!.version).toBe('m4');
    expect(holder.current!.ann.description).toBe('HNSW8');

    // A search parameter the index does not have fails the swap the same way.
    const bad = new ModelHolder(testConfig({ ranker: { ann: { factory: 'Flat', searchParams: 'efSearch=64' } } }), new IdIndex());
    await bad.swap(fakeModels('m3', ids, 8));
    expect(bad.current).toBeUndefined();
  });
});

describe('AnnIndex per-search parameters', () => {
  it('applies them to one search and restores the index parameters after it', () => {
    const dim = 8;
    const n = 4000;
    const m = fakeModels('p', Array.from({ length: n }, (_, i) => `v${i}`), dim);
    const ann = AnnIndex.build(dim, m.itemIds, m.itemVectors, 'IVF64,Flat');
    const queries = m.itemVectors.subarray(0, 20 * dim);
    expect(() => ann.search(queries, 10, 'nprobe=1')).toThrow(/setSearchParameters/);
    ann.setSearchParameters('nprobe=64'); // every list: exact
    const exact = ann.search(queries, 10).map((hits) => hits.map((h) => h.id));
    const cheap = ann.search(queries, 10, 'nprobe=1').map((hits) => hits.map((h) => h.id));
    expect(cheap).not.toEqual(exact);
    expect(ann.search(queries, 10).map((hits) => hits.map((h) => h.id))).toEqual(exact);
  });
});
