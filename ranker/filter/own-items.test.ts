import { describe, expect, it } from 'vitest';
import { contextWith, runFilter, setup } from '../stage-fixtures.ts';
import { ownItemsFilter } from './own-items.ts';

describe('own-items filter', () => {
  it("removes the user's own videos", async () => {
    // Creator c3 browsing: v3 is theirs (item i belongs to creator i % 30).
    const { ctx, candidates } = contextWith(setup().pipeline, 'c3', [
      { id: 'v3', source: 'ann' },
      { id: 'v4', source: 'ann' },
    ]);
    expect(await runFilter(ownItemsFilter, ctx, candidates)).toEqual({ kept: ['v4'], removed: [['v3', "the user's own item"]] });
  });
});
