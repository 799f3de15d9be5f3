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

  it.each(BENCHMARK_NAMES)('%s writes a complete JSON result', async (name) => {
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
    // The feed benchmark serves the world's promoted (stand-in) models, not the heuristic fallback.
    if (name === 'feed') expect(result.params).toMatchObject({ feed_server: { model: { scorer: 'ranker-model' } }, models: { items: 2_000 } });
    // What was printed is what was stored.
    expect(printed.join('\n')).toContain(result.tables[0]!.title);
  }, 240_000);

  it('draws the report from the smoke results without judging them as figures', async () => {
    const readmePath = join(outDir, 'README.md');
    const written = await writeReport({ resultsDir: outDir, plotsDir: join(outDir, 'plots'), readmePath });
    expect(written).toContain(readmePath);
    expect(readFileSync(readmePath, 'utf8')).toContain('No full benchmark results yet');
  });
});
