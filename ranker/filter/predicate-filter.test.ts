import { describe, expect, it } from 'vitest';
import { contextWith, runFilter, setup, unbounded } from '../stage-fixtures.ts';
import { partition, predicateFilter } from './predicate-filter.ts';

describe('predicateFilter', () => {
  const { ctx, candidates } = contextWith(
    setup().pipeline,
    'u1',
    ['v1', 'v2', 'v3', 'v4'].map((id) => ({ id, source: 'ann' })),
  );
  const evenRows = predicateFilter({
    name: 'even-rows',
    budgetMs: 1,
    failOpen: false,
    removes: (c) => (c.request.count > 0 ? (x) => (x.row % 2 === 0 ? `row ${x.row} is even` : undefined) : undefined),
  });

  it('is a filter stage with the given name, budget and failure mode', () => {
    expect(evenRows).toMatchObject({ name: 'even-rows', kind: 'filter', budgetMs: 1, failOpen: false });
  });

  it('removes what the predicate gives a reason for, keeping the order of both lists', async () => {
    expect(await runFilter(evenRows, ctx, candidates)).toEqual({
      kept: ['v1', 'v3'],
      removed: [
        ['v2', 'row 2 is even'],
        ['v4', 'row 4 is even'],
      ],
    });
  });

  it('passes the candidates through untouched when nothing can go this request', async () => {
    const res = await evenRows.filter({ ...ctx, request: { ...ctx.request, count: 0 } }, candidates, unbounded);
    expect(res.kept).toBe(candidates);
    expect(res.removed).toEqual([]);
  });

  it('partition keeps everything a predicate has no reason for', () => {
    expect(partition(candidates, () => undefined).kept).toEqual(candidates);
  });
});
