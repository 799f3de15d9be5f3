import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATEST_DIR, latestByBenchmark, readResults } from '../harness/result.ts';
import { latencyVsRateSpec, recallVsLatencySpec, renderSvg, soakSpec } from './plots.ts';
import { FIGURES_BLOCK, figuresMarkdown, PERFORMANCE_BLOCK, performanceMarkdown, spliceBlock, type ResultLink } from './readme.ts';

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));

export interface ReportOptions {
  /** The committed results, one `<benchmark>.json` each (default benchmarks/results/latest/). */
  resultsDir?: string;
  plotsDir?: string;
  /** benchmarks/README.md: every figure, table and plot. */
  readmePath?: string;
  /** The top-level README.md: the targets table. */
  mainReadmePath?: string;
}

const link =
  (from: string, resultsDir: string): ResultLink =>
  (r) =>
    relative(dirname(from), join(resultsDir, `${r.benchmark}.json`));

function rewrite(path: string, text: string, block: typeof FIGURES_BLOCK, heading: string, fallback: string): void {
  const markdown = existsSync(path) ? readFileSync(path, 'utf8') : fallback;
  writeFileSync(path, spliceBlock(markdown, text, block, heading));
}

/**
 * Redraws the plots and the generated blocks of benchmarks/README.md and README.md from the
 * committed results (every figure there links to its JSON); returns the files written.
 */
export async function writeReport(opts: ReportOptions = {}): Promise<string[]> {
  const resultsDir = opts.resultsDir ?? join(BENCH_DIR, 'results', LATEST_DIR);
  const plotsDir = opts.plotsDir ?? join(BENCH_DIR, 'plots');
  const readmePath = opts.readmePath ?? join(BENCH_DIR, 'README.md');
  const mainReadmePath = opts.mainReadmePath ?? join(BENCH_DIR, '..', 'README.md');
  const { results, skipped } = readResults(resultsDir);
  for (const s of skipped) process.stderr.write(`skipping ${s.file}: ${s.reason}\n`);
  const latest = latestByBenchmark(results);
  const written: string[] = [];
  const plotLinks: string[] = [];

  const specs = [
    ['latency-vs-rate.svg', latest.has('feed') ? latencyVsRateSpec(latest.get('feed')!) : undefined],
    ['ann-recall-vs-latency.svg', latest.has('ann') ? recallVsLatencySpec(latest.get('ann')!) : undefined],
    ['soak.svg', latest.has('soak') ? soakSpec(latest.get('soak')!) : undefined],
  ] as const;
  for (const [file, spec] of specs) {
    if (!spec) continue;
    mkdirSync(plotsDir, { recursive: true });
    const path = join(plotsDir, file);
    writeFileSync(path, await renderSvg(spec));
    written.push(path);
    plotLinks.push(relative(dirname(readmePath), path));
  }

  rewrite(readmePath, figuresMarkdown(results, plotLinks, link(readmePath, resultsDir)), FIGURES_BLOCK, 'Latest figures', '# Benchmarks\n');
  written.push(readmePath);
  rewrite(mainReadmePath, performanceMarkdown(results, link(mainReadmePath, resultsDir)), PERFORMANCE_BLOCK, 'Performance', '# Performance\n');
  written.push(mainReadmePath);
  return written;
}
