import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESULT_SCHEMA_VERSION, writeResult, type BenchResult } from '../harness/result.ts';
import { checkTarget } from '../harness/targets.ts';
import { writeReport } from './report.ts';
import { BEGIN, END } from './readme.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function result(benchmark: string, date: string, over: Partial<BenchResult>): BenchResult {
  return {
    schema_version: RESULT_SCHEMA_VERSION,
    benchmark,
    smoke: false,
    date,
    duration_s: 1,
    git: { commit: 'abcdef0123456789abcdef0123456789abcdef01', dirty: false },
    machine: { cpu: 'Test CPU', cores: 2, memory_bytes: 2 ** 34, node: 'v20', platform: 'linux-x64', kernel: '6', load_1m: 0.5 },
    backend: { tfjs: 'wasm', reason: 'test' },
    repeats: 3,
    dataset: { items: 1_000_000 },
    params: {},
    figures: {},
    references: [],
    tables: [],
    targets: [],
    series: {},
    notes: [],
    ...over,
  };
}

describe('writeReport', () => {
  const results = join(dir, 'results');
  writeResult(
    result('feed', '2026-01-02T00:00:00.000Z', {
      figures: { p99_ms_at_200rps: { value: 75, unit: 'ms' } },
      targets: [checkTarget('feed_p99_200rps', 75, { items: 1_000_000, note: 'bottleneck: scorer' })],
      series: {
        steps: [50, 100, 200].flatMap((rate) => ['feed', 'hello'].map((target) => ({ target, rate, p50_ms: rate / 10, p99_ms: rate / 2 }))),
      },
    }),
    results,
  );
  // An older feed result and a smoke result must not win.
  writeResult(result('feed', '2026-01-01T00:00:00.000Z', { figures: { p99_ms_at_200rps: { value: 999, unit: 'ms' } } }), results);
  writeResult(result('ann', '2026-01-03T00:00:00.000Z', { smoke: true, series: { points: [] } }), results);
  writeResult(
    result('ann', '2026-01-01T00:00:00.000Z', {
      targets: [checkTarget('ann_recall_1m', 0.97, { items: 1_000_000 })],
      series: { points: [{ items: 1_000_000, index: 'HNSW32', setting: 'HNSW32 efSearch=64', recall: 0.97, p50_ms: 0.4, speedup: 100 }] },
    }),
    results,
  );
  writeResult(
    result('soak', '2026-01-04T00:00:00.000Z', {
      tables: [{ title: 'soak', columns: ['minute', 'note'], rows: [[1, 'RSS baseline'], [2, 'model promoted'], [3, '']] }],
      series: { windows: [1, 2, 3].map((minute) => ({ minute, p50_ms: 10, p99_ms: 40 + minute, rss_mib: 500 + minute })) },
    }),
    results,
  );
  writeFileSync(join(results, 'broken.json'), '{"benchmark": "x"}');

  it('draws the plots as SVG and rewrites only the generated block of the README', async () => {
    const readmePath = join(dir, 'README.md');
    writeFileSync(readmePath, `# Bench\n\nkept above\n\n${BEGIN}\nold\n${END}\n\nkept below\n`);
    const written = await writeReport({ resultsDir: results, plotsDir: join(dir, 'plots'), readmePath });
    for (const svg of ['latency-vs-rate.svg', 'ann-recall-vs-latency.svg', 'soak.svg']) {
      const path = join(dir, 'plots', svg);
      expect(written).toContain(path);
      expect(readFileSync(path, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme).toContain('kept above');
    expect(readme).toContain('kept below');
    expect(readme).not.toContain('\nold\n');
    expect(readme).toMatch(/\| feed p99 at 200 req\/s, 1M items \| under 50 ms \| 75 ms \| MISSED \| missed by 25 ms \(50%\); bottleneck: scorer \|/);
    expect(readme).toMatch(/\| ANN recall@100 vs exact, 1M items \|[^\n]*\| met \|/);
    expect(readme).toMatch(/\| serving RSS, 1M items \| under 2 GiB \| - \| not run yet \|/);
    expect(readme).toContain('| feed | p99_ms_at_200rps | 75 | ms |');
    expect(readme).not.toContain('999');
    expect(readme).toContain('![plots/latency-vs-rate.svg](plots/latency-vs-rate.svg)');
  });

  it('appends the block to a README without markers', async () => {
    const readmePath = join(dir, 'OTHER.md');
    writeFileSync(readmePath, '# Other\n');
    await writeReport({ resultsDir: results, plotsDir: join(dir, 'plots2'), readmePath });
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme.startsWith('# Other\n')).toBe(true);
    expect(readme.indexOf(BEGIN)).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'plots2', 'ann-recall-vs-latency.svg'))).toBe(true);
  });
});
