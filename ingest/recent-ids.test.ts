import { describe, expect, it } from 'vitest';
import { RecentIds } from './recent-ids.ts';

describe('RecentIds', () => {
  it('remembers the last `capacity` ids and forgets the oldest first, over many wraps of the window', () => {
    const r = new RecentIds(3);
    expect(['a', 'b', 'c'].map((id) => r.add(id))).toEqual([true, true, true]);
    expect(r.add('b')).toBe(false);
    expect(r.add('d')).toBe(true); // forgets a
    expect([r.has('a'), r.has('b'), r.has('c'), r.has('d')]).toEqual([false, true, true, true]);
    expect(r.add('a')).toBe(true); // forgets b
    expect([r.has('b'), r.has('c')]).toEqual([false, true]);
    for (let i = 0; i < 1000; i++) r.add(`x${i}`);
    expect(r.size).toBe(3);
    expect(['x997', 'x998', 'x999', 'x996'].map((id) => r.has(id))).toEqual([true, true, true, false]);
    expect(r.add('x999')).toBe(false);
  });
});
