import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../core/columns.ts';
import { dotAt } from '../../core/dot.ts';
import { ItemVectors } from './item-vectors.ts';

describe('ItemVectors', () => {
  it('returns views of the promoted matrix and of vectors added later, by id', () => {
    const dim = 2;
    const vectors = new ItemVectors(dim, ['a', 'b'], Float32Array.from([1, 0, 0, 1]), new IdIndex());
    expect(Array.from(vectors.get('b')!)).toEqual([0, 1]);
    expect(vectors.get('zz')).toBeUndefined();
    // More than one block of added vectors.
    const n = 5000;
    const ids = Array.from({ length: n }, (_, i) => `n${i}`);
    vectors.add(
      ids,
      Float32Array.from({ length: n * dim }, (_, k) => k),
    );
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
