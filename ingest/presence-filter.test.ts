import { describe, expect, it } from 'vitest';
import { PresenceFilter } from './presence-filter.ts';

describe('PresenceFilter', () => {
  it('never forgets a key that is present, and forgets removed ones', () => {
    const f = new PresenceFilter(10_000);
    const keys = Array.from({ length: 10_000 }, (_, i) => `i${i}`);
    for (const k of keys) f.add(k);
    expect(keys.every((k) => f.mayHave(k))).toBe(true);
    const absent = Array.from({ length: 10_000 }, (_, i) => `x${i}`);
    const falsePositives = absent.filter((k) => f.mayHave(k)).length;
    expect(falsePositives / absent.length).toBeLessThan(0.2);

    for (const k of keys.slice(0, 5_000)) f.remove(k);
    expect(keys.slice(5_000).every((k) => f.mayHave(k))).toBe(true);
    for (const k of keys.slice(5_000)) f.remove(k);
    expect(keys.filter((k) => f.mayHave(k))).toEqual([]);
  });

  it('counts repeated adds of colliding keys', () => {
    const f = new PresenceFilter(1);
    // 1,024 slots and 3,000 keys: slots are shared, so removals must not clear a slot still in use.
    const keys = Array.from({ length: 3_000 }, (_, i) => `k${i}`);
    for (const k of keys) f.add(k);
    for (const k of keys.slice(0, 2_000)) f.remove(k);
    expect(keys.slice(2_000).every((k) => f.mayHave(k))).toBe(true);
  });
});
