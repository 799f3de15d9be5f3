import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { createClickHouse } from '../storage/clickhouse.ts';
import { isolatedConfig } from '../test/stack.ts';
import { BENCHMARK_NAMES } from './harness/registry.ts';
import { BenchResultSchema } from './harness/result.ts';
import { runBenchmark } from './harness/run.ts';
import { writeReport } from './report/report.ts';

/** Every benchmark in smoke mode must produce its JSON; speed is never asserted here. */
describe('benchmarks in smoke mode', () => {
  let config: Config;
  let outDir: string;

  beforeAll(async () => {
    config = await isolatedConfig('bench_smoke');
    outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  });

  afterAll(async () => {
    if (config) {
      const ch = createClickHouse(config);
      await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
      await ch.close();
    }
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it.each(BENCHMARK_NAMES)(
    '%s writes a complete JSON result',
    async (name) => {
      const printed: string[] = [];
      const { file } = await runBenchmark(name, { config, smoke: true, outDir, print: (t) => printed.push(t), progress: () => {} });
      const result = BenchResultSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      expect(result).toMatchObject({ benchmark: name, smoke: true, repeats: 2 });
      expect(result.machine.cores).toBeGreaterThan(0);
      expect(result.machine.cpu).not.toBe('');
      expect(result.machine.node).toBe(process.version);
      expect(['tensorflow', 'wasm', 'cpu']).toContain(result.backend.tfjs);
      expect(result.git.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
      expect(Object.keys(result.dataset).length).toBeGreaterThan(0);
      expect(Object.keys(result.figures).length).toBeGreaterThan(0);
      for (const [key, f] of Object.entries(result.figures)) expect(f.value, `${name} figure ${key}`).not.toBeNull();
      expect(result.references.length).toBeGreaterThan(0);
      expect(result.tables[0]!.rows.length).toBeGreaterThan(0);
      if (name === 'feed' || name === 'memory') {
        // Both serve the version trained on the world's simulated history, not the heuristic fallback.
        const params = result.params as { models: { version: string; events: number; size_mib: number }; world_history: { events: number; plays_per_user: { p10: number; p90: number } } };
        expect(params.models.events).toBeGreaterThan(0);
        expect(params.models.size_mib).toBeGreaterThan(0);
        expect(params.world_history.events).toBeGreaterThan(0);
        // History lengths are a distribution, not one count for everybody.
        expect(params.world_history.plays_per_user.p90).toBeGreaterThan(params.world_history.plays_per_user.p10);
        const served = name === 'feed' ? result.params.feed_server : result.params.server;
        expect(served).toMatchObject({ model: { scorer: 'ranker-model', version: params.models.version } });
      }
      if (name === 'feed') expect((result.params.replayed_history as { events: number }).events).toBeGreaterThan(0);
      // Headlines judged against a target are medians over the repeats, with their spread (ANN's best recall and the slowest new item are not).
      for (const t of result.targets.filter((x) => x.id !== 'ann_recall_1m' && x.id !== 'new_item_ann')) {
        expect(t, `${name} target ${t.id}`).toMatchObject({ runs: 2 });
        expect(t.min!).toBeLessThanOrEqual(t.value!);
        expect(t.max!).toBeGreaterThanOrEqual(t.value!);
      }
      // What was printed is what was stored.
      expect(printed.join('\n')).toContain(result.tables[0]!.title);
    },
    240_000,
  );

  it('draws the report from the smoke results without judging them as figures', async () => {
    const readmePath = join(outDir, 'README.md');
    const mainReadmePath = join(outDir, 'MAIN.md');
    const written = await writeReport({ resultsDir: join(outDir, 'latest'), plotsDir: join(outDir, 'plots'), readmePath, mainReadmePath });
    expect(written).toContain(readmePath);
    expect(readFileSync(readmePath, 'utf8')).toContain('No full results committed yet');
    expect(readFileSync(mainReadmePath, 'utf8')).toContain('| feed p99 at 200 req/s, 1M items | under 50 ms | - | not yet measured with trained models |');
  });
});
