import { describe, expect, it } from 'vitest';
import { IdIndex, TextColumn } from './columns.ts';

describe('TextColumn', () => {
  it('keeps a string per row through growth, updates and multi-byte text', () => {
    const col = new TextColumn();
    const n = 3000;
    for (let row = 0; row < n; row++) col.set(row, `title ${row}`);
    col.set(7, '抖音好物 · 限时 🔥');
    col.set(8, '');
    col.set(9, 'title 9');
    col.set(10, 'a longer replacement for row ten');
    expect(col.get(0)).toBe('title 0');
    expect(col.get(n - 1)).toBe(`title ${n - 1}`);
    expect(col.get(7)).toBe('抖音好物 · 限时 🔥');
    expect(col.get(8)).toBe('');
    expect(col.get(9)).toBe('title 9');
    expect(col.get(10)).toBe('a longer replacement for row ten');
    expect(col.get(11)).toBe('title 11');
    expect(col.get(n + 5)).toBe('');
  });
});

describe('IdIndex', () => {
  it('gives each id one dense row through many table growths, and -1 for unknown ids', () => {
    const index = new IdIndex();
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => (i % 2 ? `v${i}` : `商品-${i}`));
    // The ids whose upsert did not create the next row (100k expect() calls took most of this test's time).
    const wrong = ids.filter((id, i) => {
      const { row, created } = index.upsert(id);
      return row !== i || !created;
    });
    expect(wrong).toEqual([]);
    expect(index.size).toBe(n);
    expect(index.upsert('v77')).toEqual({ row: 77, created: false });
    for (let i = 0; i < n; i += 997) {
      expect(index.row(ids[i]!)).toBe(i);
      expect(index.id(i)).toBe(ids[i]);
    }
    // Lookups with strings built at run time (not the same string objects).
    expect(index.row(['v', '12345'].join(''))).toBe(12345);
    for (const unknown of ['', 'v0', `v${n}`, 'v-1', '商品-1']) expect(index.row(unknown)).toBe(-1);
    expect(index.id(n)).toBe('');
  });
});
