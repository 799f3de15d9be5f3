import { describe, expect, it } from 'vitest';
import { contextWith, runFilter, setup } from '../stage-fixtures.ts';
import { unavailableFilter } from './unavailable.ts';

describe('unavailable filter', () => {
  it('removes taken-down items with a reason', async () => {
    const s = setup();
    s.catalog.itemAvailable[s.catalog.items.row('v2')] = 0;
    const { ctx, candidates } = contextWith(s.pipeline, 'u1', [
      { id: 'v1', source: 'ann' },
      { id: 'v2', source: 'ann' },
    ]);
    expect(await runFilter(unavailableFilter, ctx, candidates)).toEqual({ kept: ['v1'], removed: [['v2', 'item is unavailable']] });
  });
});
