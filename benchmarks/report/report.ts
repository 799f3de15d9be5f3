import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latestByBenchmark, readResults } from '../harness/result.ts';
import { latencyVsRateSpec, recallVsLatencySpec, renderSvg, soakSpec } from './plots.ts';
import { figuresMarkdown, spliceFigures } from './readme.ts';

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));

export interface ReportOptions {
  resultsDir?: string;
  plotsDir?: string;
  readmePath?: string;
}

/** Redraws the plots and the README figures block from the JSON results; returns the files written. */
export async function writeReport(opts: ReportOptions = {}): Promise<string[]> {
  const resultsDir = opts.resultsDir ?? join(BENCH_DIR, 'results');
  const plotsDir = opts.plotsDir ?? join(BENCH_DIR, 'plots');
  const readmePath = opts.readmePath ?? join(BENCH_DIR, 'README.md');
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

  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '# Benchmarks\n';
  writeFileSync(readmePath, spliceFigures(readme, figuresMarkdown(results, plotLinks)));
  written.push(readmePath);
  return written;
}
