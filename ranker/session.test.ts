import { describe, expect, it } from 'vitest';
import { BloomFilter } from './session.ts';

describe('BloomFilter', () => {
  it('holds what was added, also when rebuilt from its bits (a decoded cursor)', () => {
    const f = new BloomFilter(8192, 4);
    expect(f.has('i1')).toBe(false);
    const ids = Array.from({ length: 200 }, (_, i) => `i${i}`);
    for (const id of ids) f.add(id);
    expect(ids.every((id) => f.has(id))).toBe(true);
    const copy = new BloomFilter(8192, 4, Uint8Array.from(f.bits));
    expect(ids.every((id) => copy.has(id))).toBe(true);
    const others = Array.from({ length: 1000 }, (_, i) => `x${i}`).filter((id) => copy.has(id));
    expect(others.length).toBeLessThan(20);
    expect(new BloomFilter(8192, 4, new Uint8Array(1024)).has('i1')).toBe(false);
  });

  it('rejects bits of the wrong size', () => {
    expect(() => new BloomFilter(8192, 4, new Uint8Array(10))).toThrow(/needs 1024 bytes/);
  });
});
