import { describe, expect, it } from 'vitest';
import { tableLayout, timeAxis } from './layout.ts';

describe('tableLayout', () => {
  it('labels rows by their text columns and charts the numeric ones', () => {
    const columns = ['items', 'index', 'search', 'build s', 'recall', 'meets bar'];
    const rows = [
      [100000, 'Flat (exact)', '-', 5.02, 1, null],
      [100000, 'IVF1024,Flat', 'nprobe=4', 61.8, 0.79, 'no'],
    ];
    const { labels, charted } = tableLayout(columns, rows);
    expect(labels).toEqual(['Flat (exact)', 'IVF1024,Flat nprobe=4']);
    expect(charted.map((c) => c.name)).toEqual(['build s', 'recall']);
  });

  it('keeps a varying leading size in the label', () => {
    const { labels, charted } = tableLayout(
      ['items', 'p50 ms'],
      [
        [1000, 2],
        [10000, 3],
      ],
    );
    expect(labels).toEqual(['1000', '10000']);
    expect(charted.map((c) => c.name)).toEqual(['p50 ms']);
  });

  it('charts a policy comparison by policy', () => {
    const { labels, charted } = tableLayout(
      ['policy', 'watch s/session', 'completion', 'purchases/1k'],
      [
        ['random', 31.2, 0.12, 1.1],
        ['popular', 44.0, 0.2, 2.3],
        ['http', 61.5, 0.31, 3.9],
      ],
    );
    expect(labels).toEqual(['random', 'popular', 'http']);
    expect(charted.map((c) => c.name)).toEqual(['watch s/session', 'completion', 'purchases/1k']);
  });

  it('numbers rows that have nothing descriptive', () => {
    expect(
      tableLayout(
        ['a', 'b'],
        [
          [1, 2],
          [1, 3],
        ],
      ).labels,
    ).toEqual(['#1', '#2']);
  });
});

describe('timeAxis', () => {
  it('fills every minute of the window, newest last', () => {
    const now = 1_000_000_030;
    const axis = timeAxis([], 5, 1, now);
    expect(axis).toHaveLength(5);
    expect(axis.at(-1)).toBe(Math.floor(now / 60) * 60);
    expect(axis.every((t, i) => i === 0 || t - axis[i - 1]! === 60)).toBe(true);
  });

  it('fills day buckets of a week and keeps what the server returned', () => {
    const day = 86_400;
    const axis = timeAxis([3 * day], 7 * 24 * 60, 24 * 60, 10 * day + 5);
    expect(axis).toEqual([3 * day, 4 * day, 5 * day, 6 * day, 7 * day, 8 * day, 9 * day, 10 * day]);
  });
});
