import { describe, expect, it } from 'vitest';
import { latestById } from './loader.ts';

describe('latestById (catalog changes without FINAL)', () => {
  it('keeps the newest version of each id, the later row on a tie, and drops the version', () => {
    const rows = [
      { id: 'a', available: 1, version: 10 },
      { id: 'b', available: 1, version: 10 },
      { id: 'a', available: 0, version: 12 },
      { id: 'a', available: 1, version: 11 },
      { id: 'b', available: 0, version: 10 },
    ];
    expect(latestById(rows, (r) => r.id)).toEqual([
      { id: 'a', available: 0 },
      { id: 'b', available: 0 },
    ]);
    expect(latestById([], (r: { id: string }) => r.id)).toEqual([]);
  });
});
