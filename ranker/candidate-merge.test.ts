import { describe, expect, it } from 'vitest';
import { contextWith, setup } from './stage-fixtures.ts';

describe('CandidateMerge', () => {
  it('merges sources round-robin, deduplicating and keeping every source of an item', () => {
    const { candidates } = contextWith(setup().pipeline, 'u1', [
      { id: 'v1', source: 'ann' },
      { id: 'v2', source: 'ann' },
      { id: 'v1', source: 'trending' },
      { id: 'v3', source: 'trending' },
    ]);
    expect(candidates.map((c) => [c.itemId, c.source, c.sources])).toEqual([
      ['v1', 'ann', ['ann', 'trending']],
      ['v2', 'ann', ['ann']],
      ['v3', 'trending', ['trending']],
    ]);
  });

  it('marks a candidate personal when any source that produced it is', () => {
    const { candidates } = contextWith(setup().pipeline, 'u1', [
      { id: 'v1', source: 'trending' },
      { id: 'v2', source: 'trending' },
      { id: 'v2', source: 'following' },
    ]);
    expect(candidates.map((c) => [c.itemId, c.personal])).toEqual([
      ['v1', false],
      ['v2', true],
    ]);
  });
});
