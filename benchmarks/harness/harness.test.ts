import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_COMMITTED_POINTS, RESULT_SCHEMA_VERSION, writeResult, type BenchResult } from './result.ts';
import { cpuTimes, stealShare } from './machine.ts';
import { median, medianOf, percentile, summarize } from './stats.ts';
import { checkTarget } from './targets.ts';
import { formatTable } from '../../core/table.ts';

describe('stats', () => {
  it('takes nearest-rank percentiles and medians', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(summarize([5, 1, 9])).toMatchObject({ n: 3, p50: 5, max: 9, mean: 5 });
    expect(Number.isNaN(summarize([]).p99)).toBe(true);
  });

  it('takes the field-wise median of repeated runs', () => {
    expect(
      medianOf([
        { a: 1, b: 30 },
        { a: 3, b: 10 },
        { a: 2, b: 20 },
      ]),
    ).toEqual({ a: 2, b: 20 });
  });
});

describe('checkTarget', () => {
  it('says by how much an upper bound is met or missed', () => {
    const missed = checkTarget('feed_p99_200rps', 75, { items: 1_000_000 });
    expect(missed).toMatchObject({ met: false, applies: true, margin: 'missed by 25 ms (50%)' });
    expect(checkTarget('feed_p99_200rps', 40, { items: 1_000_000 })).toMatchObject({ met: true, margin: 'met with 10 ms (20%)' });
  });

  it('judges lower bounds, and does not judge figures measured at another size', () => {
    expect(checkTarget('ingest_end_to_end', 60_000)).toMatchObject({ met: true, applies: true });
    expect(checkTarget('ann_recall_1m', 0.9, { items: 100_000 })).toMatchObject({ met: false, applies: false });
    expect(checkTarget('serving_rss_1m', null, { items: 1_000_000 })).toMatchObject({ met: false, margin: 'not measured', value: null });
  });
});

describe('formatTable', () => {
  it('aligns columns and right-aligns numbers', () => {
    const text = formatTable({
      title: 'T',
      columns: ['name', 'ms'],
      rows: [
        ['a', 1.234],
        ['bbb', 1234],
      ],
    });
    expect(text.split('\n')).toEqual(['T', 'name     ms', '----  -----', 'a      1.23', 'bbb   1,234']);
  });
});

describe('machine', () => {
  it('reports the share of CPU time stolen between two readings', () => {
    expect(stealShare({ total: 1000, steal: 10 }, { total: 1400, steal: 90 })).toBe(0.2);
    expect(stealShare(null, { total: 1, steal: 0 })).toBeNull();
    expect(stealShare({ total: 5, steal: 0 }, { total: 5, steal: 0 })).toBeNull();
    const now = cpuTimes();
    if (now) expect(now.total).toBeGreaterThanOrEqual(now.steal);
  });
});

describe('writeResult', () => {
  const result = (smoke: boolean, points: number): BenchResult => ({
    schema_version: RESULT_SCHEMA_VERSION,
    benchmark: 'feed',
    smoke,
    date: '2026-01-02T03:04:05.678Z',
    duration_s: 1,
    git: { commit: 'c', dirty: false },
    machine: { cpu: 'x', cores: 2, memory_bytes: 1, node: 'v20', platform: 'linux', kernel: '6', load_1m: 0 },
    backend: { tfjs: 'wasm', reason: 'test' },
    repeats: 3,
    dataset: { items: 1 },
    params: {},
    figures: { p99_ms: { value: 20, unit: 'ms', min: 18, max: 31, runs: 3 } },
    references: [],
    tables: [],
    targets: [],
    notes: [],
    series: { rss: Array.from({ length: points }, (_, i) => ({ t: i })) },
  });

  it('keeps smoke results out of latest/ and copies a full one there with long series thinned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-result-'));
    try {
      writeResult(result(true, 10), dir);
      expect(existsSync(join(dir, 'latest'))).toBe(false);
      const file = writeResult(result(false, 1000), dir);
      expect(readdirSync(dir).sort()).toEqual(['feed-2026-01-02T03-04-05Z.json', 'feed-smoke-2026-01-02T03-04-05Z.json', 'latest']);
      expect(JSON.parse(readFileSync(file, 'utf8')).series.rss).toHaveLength(1000);
      const committed = JSON.parse(readFileSync(join(dir, 'latest', 'feed.json'), 'utf8')) as BenchResult;
      expect(committed.series.rss).toHaveLength(MAX_COMMITTED_POINTS);
      expect(committed.series.rss!.at(0)).toEqual({ t: 0 });
      expect(committed.series.rss!.at(-1)).toEqual({ t: 999 });
      expect(committed.figures).toEqual(result(false, 0).figures);
      expect(committed.notes.join(' ')).toContain('thinned from 1000 to 200 points');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('feed bench --json', () => {
  it('prints only the JSON result on stdout (tables and logs on stderr)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-json-'));
    try {
      const bin = fileURLToPath(new URL('../../bin/feed.js', import.meta.url));
      const stdout = execFileSync(process.execPath, [bin, 'bench', 'ann', '--smoke', '--json', '--out', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, LOG_LEVEL: 'info' },
      });
      const result = JSON.parse(stdout) as BenchResult;
      expect(result).toMatchObject({ benchmark: 'ann', smoke: true });
      expect(readdirSync(dir)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('benchmark history and models', () => {
  it('replays a user history shifted to end at a given time, gaps kept, with new ids and only the fields each kind needs', async () => {
    const { replayedEvents } = await import('./history-replay.ts');
    const row = { user_id: 'u1', item_id: 'v1', product_id: '', creator_id: '', live_id: '', watch_ms: 0, duration_ms: 0, price: 0, quantity: 0 };
    const events = replayedEvents(
      [
        { ...row, kind: 'play', ts_ms: '1000', watch_ms: 5000, duration_ms: 9000 },
        { ...row, kind: 'like', ts_ms: '4000' },
        { ...row, item_id: '', product_id: 'p1', kind: 'purchase', ts_ms: '6000', price: 19.9, quantity: 2 },
      ],
      'r1',
      100_000,
    );
    expect(events).toEqual([
      { event_id: 'r1.u1.0', kind: 'play', user_id: 'u1', ts: 95_000, item_id: 'v1', watch_ms: 5000, duration_ms: 9000 },
      { event_id: 'r1.u1.1', kind: 'like', user_id: 'u1', ts: 98_000, item_id: 'v1' },
      { event_id: 'r1.u1.2', kind: 'purchase', user_id: 'u1', ts: 100_000, product_id: 'p1', price: 19.9, quantity: 2 },
    ]);
    expect(replayedEvents([], 'r1', 1)).toEqual([]);
  });

  it('refuses a server that serves another model or the heuristic scorer', async () => {
    const { requireTrainedModel } = await import('./trained-models.ts');
    const models = { version: 'v2' } as Parameters<typeof requireTrainedModel>[1];
    expect(() => requireTrainedModel({ model: { version: 'v2', scorer: 'ranker-model' } }, models, 'feed')).not.toThrow();
    expect(() => requireTrainedModel({ model: { version: 'v1', scorer: 'ranker-model' } }, models, 'feed')).toThrow(/did not load the trained model v2/);
    expect(() => requireTrainedModel({ model: { version: 'v2', scorer: 'heuristic' } }, models, 'memory')).toThrow(/memory server/);
    expect(() => requireTrainedModel({}, models, 'feed')).toThrow(/serves null/);
  });
});
