import { describe, expect, it } from 'vitest';
import { contextWith, runFilter, setup } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { seenFilter } from './seen.ts';

describe('seen filter', () => {
  it('removes items seen in earlier sessions (online state)', async () => {
    const s = setup();
    s.online.apply([event('impression', 'u1', { item_id: 'v10' })]);
    const { ctx, candidates } = contextWith(s.pipeline, 'u1', [
      { id: 'v10', source: 'ann' },
      { id: 'v11', source: 'ann' },
    ]);
    expect(await runFilter(seenFilter, ctx, candidates)).toEqual({ kept: ['v11'], removed: [['v10', 'seen in an earlier session']] });
  });
});
