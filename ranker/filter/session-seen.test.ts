import { describe, expect, it } from 'vitest';
import { contextWith, runFilter, setup } from '../stage-fixtures.ts';
import { sessionSeenFilter } from './session-seen.ts';

describe('session-seen filter', () => {
  it('removes what the cursor says this session already got', async () => {
    const { ctx, candidates } = contextWith(setup().pipeline, 'u1', [
      { id: 'v5', source: 'locale' },
      { id: 'v6', source: 'locale' },
    ]);
    ctx.request.session.page = 1;
    ctx.request.session.served.add('v6');
    expect(await runFilter(sessionSeenFilter, ctx, candidates)).toEqual({ kept: ['v5'], removed: [['v6', 'already served in this session']] });
  });
});
