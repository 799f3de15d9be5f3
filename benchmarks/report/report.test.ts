import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESULT_SCHEMA_VERSION, writeResult, type BenchResult } from '../harness/result.ts';
import { checkTarget } from '../harness/targets.ts';
import { writeReport } from './report.ts';
import { FIGURES_BLOCK, PERFORMANCE_BLOCK } from './readme.ts';

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
    machine: { cpu: 'Test CPU', cores: 2, memory_bytes: 2 ** 34, node: 'v20', platform: 'linux-x64', kernel: '6', load_1m: 0.5, load_1m_end: 1.5, cpu_steal: 0.021 },
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
  const committed = join(results, 'latest');
  writeResult(
    result('feed', '2026-01-02T00:00:00.000Z', {
      params: { models: { version: 'v1', events: 2_000_000 } },
      figures: { p99_ms_at_200rps: { value: 75, unit: 'ms', min: 60, max: 190, runs: 3 } },
      targets: [checkTarget('feed_p99_200rps', 75, { items: 1_000_000, note: 'bottleneck: scorer', spread: { min: 60, max: 190, runs: 3 } })],
      series: {
        steps: [50, 100, 200].flatMap((rate) => ['feed', 'hello'].map((target) => ({ target, rate, p50_ms: rate / 10, p99_ms: rate / 2, p99_min_ms: rate / 3, p99_max_ms: rate }))),
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
      tables: [
        {
          title: 'soak',
          columns: ['minute', 'note'],
          rows: [
            [1, 'RSS baseline'],
            [2, 'model promoted'],
            [3, ''],
          ],
        },
      ],
      series: { windows: [1, 2, 3].map((minute) => ({ minute, p50_ms: 10, p99_ms: 40 + minute, rss_mib: 500 + minute })) },
    }),
    results,
  );
  // Results of other tools (the simulator, `feed evaluate`) through the same writer: their tables are rendered as they are.
  writeResult(result('evaluate-ml-100k', '2026-01-04T00:00:00.000Z', { tables: [{ title: 'ml-100k, random split', columns: ['model', 'NDCG@10'], rows: [['two-tower', 0.304]] }] }), results);
  // A memory figure measured without trained models is not reported as one.
  writeResult(result('memory', '2026-01-05T00:00:00.000Z', { params: { models: { version: 'stand-in', events: 0 } }, targets: [checkTarget('serving_rss_1m', 1838, { items: 1_000_000 })] }), results);
  writeFileSync(join(committed, 'broken.json'), '{"benchmark": "x"}');

  it('draws the plots and rewrites only the generated blocks of both READMEs, every figure linked to its JSON', async () => {
    const readmePath = join(dir, 'benchmarks-README.md');
    const mainReadmePath = join(dir, 'README.md');
    writeFileSync(readmePath, `# Bench\n\nkept above\n\n${FIGURES_BLOCK.begin}\nold\n${FIGURES_BLOCK.end}\n\nkept below\n`);
    writeFileSync(mainReadmePath, `# Main\n\n${PERFORMANCE_BLOCK.begin}\nold table\n${PERFORMANCE_BLOCK.end}\n\nafter\n`);
    const written = await writeReport({ resultsDir: committed, plotsDir: join(dir, 'plots'), readmePath, mainReadmePath });
    for (const svg of ['latency-vs-rate.svg', 'ann-recall-vs-latency.svg', 'soak.svg']) {
      const path = join(dir, 'plots', svg);
      expect(written).toContain(path);
      expect(readFileSync(path, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme).toContain('kept above');
    expect(readme).toContain('kept below');
    expect(readme).not.toContain('\nold\n');
    expect(readme).toContain('| feed p99 at 200 req/s, 1M items | under 50 ms | 75 ms (60–190 over 3 runs) | MISSED (by 25 ms (50%)) |');
    expect(readme).toContain('3 runs, 2 cores, load 0.5→1.5, 2.1% steal');
    expect(readme).toMatch(/\| ANN recall@100 vs exact, 1M items \|[^\n]*\| met \(by /);
    expect(readme).toMatch(/\| serving RSS, 1M items \| under 2 GiB \| - \| not yet measured with trained models \| - \| \[memory\.json\]\(results\/latest\/memory\.json\) \|/);
    expect(readme).toMatch(/\| event to next-feed effect \| p99 under 1 s \| - \| not yet measured \|/);
    expect(readme).toContain('| feed | p99_ms_at_200rps | 75 ms (median; 60–190 over 3 runs) |');
    expect(readme).toContain('[feed.json](results/latest/feed.json)');
    expect(readme).toContain('**evaluate-ml-100k: ml-100k, random split**');
    expect(readme).toContain('| two-tower | 0.304 |');
    expect(readme).not.toContain('999');
    expect(readme).toContain('![plots/latency-vs-rate.svg](plots/latency-vs-rate.svg)');

    const main = readFileSync(mainReadmePath, 'utf8');
    expect(main).not.toContain('old table');
    expect(main).toContain('after');
    expect(main).toContain('| feed p99 at 200 req/s, 1M items | under 50 ms | 75 ms (60–190 over 3 runs) | MISSED (by 25 ms (50%)) | items 1000000; 3 runs');
    expect(main).toContain('[feed.json](results/latest/feed.json)');
  });

  it('appends the blocks to files without markers', async () => {
    const readmePath = join(dir, 'OTHER.md');
    const mainReadmePath = join(dir, 'MAIN.md');
    writeFileSync(readmePath, '# Other\n');
    await writeReport({ resultsDir: committed, plotsDir: join(dir, 'plots2'), readmePath, mainReadmePath });
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme.startsWith('# Other\n')).toBe(true);
    expect(readme.indexOf(FIGURES_BLOCK.begin)).toBeGreaterThan(0);
    expect(readFileSync(mainReadmePath, 'utf8')).toContain(PERFORMANCE_BLOCK.begin);
    expect(existsSync(join(dir, 'plots2', 'ann-recall-vs-latency.svg'))).toBe(true);
  });
});
