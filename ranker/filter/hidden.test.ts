import { describe, expect, it } from 'vitest';
import { contextWith, runFilter, setup } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { hiddenFilter } from './hidden.ts';

describe('hidden filter', () => {
  it('removes not-interested items and hidden creators', async () => {
    const s = setup();
    s.online.apply([event('not_interested', 'u1', { item_id: 'v7' }), event('not_interested', 'u1', { creator_id: 'c8' })]);
    const { ctx, candidates } = contextWith(s.pipeline, 'u1', [
      { id: 'v7', source: 'ann' },
      { id: 'v8', source: 'ann' },
      { id: 'v9', source: 'ann' },
    ]);
    expect(await runFilter(hiddenFilter, ctx, candidates)).toEqual({
      kept: ['v9'],
      removed: [
        ['v7', 'user marked the item not interested'],
        ['v8', 'user hid creator c8'],
      ],
    });
  });
});
