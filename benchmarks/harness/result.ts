import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type BenchResult, LATEST_DIR } from '../../storage/bench-results.ts';

export {
  BenchResultSchema,
  type BenchResult,
  type Figure,
  LATEST_DIR,
  latestByBenchmark,
  RESULT_SCHEMA_VERSION,
  readResults,
  type Reference,
} from '../../storage/bench-results.ts';

/** `ann-2026-11-21T23-40-12Z.json`: sorts by time within a benchmark. */
function resultFileName(r: Pick<BenchResult, 'benchmark' | 'date' | 'smoke'>): string {
  const stamp = r.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return `${r.benchmark}${r.smoke ? '-smoke' : ''}-${stamp}.json`;
}

/** Points kept per series in the committed copy; plots need no more. */
export const MAX_COMMITTED_POINTS = 200;

/** The result with each long series thinned to MAX_COMMITTED_POINTS evenly spaced points (first and last kept). */
function trimmedForCommit(result: BenchResult): BenchResult {
  const series: BenchResult['series'] = {};
  const notes = [...result.notes];
  for (const [name, points] of Object.entries(result.series)) {
    if (points.length <= MAX_COMMITTED_POINTS) {
      series[name] = points;
      continue;
    }
    const step = (points.length - 1) / (MAX_COMMITTED_POINTS - 1);
    series[name] = Array.from({ length: MAX_COMMITTED_POINTS }, (_, i) => points[Math.round(i * step)]!);
    notes.push(`series "${name}" thinned from ${points.length} to ${MAX_COMMITTED_POINTS} points in this copy; the full series is in ${resultFileName(result)}`);
  }
  return { ...result, series, notes };
}

/** The date of the result in `file`; '' when there is none or it cannot be read. */
function dateOf(file: string): string {
  try {
    return String((JSON.parse(readFileSync(file, 'utf8')) as { date?: unknown }).date ?? '');
  } catch {
    return '';
  }
}

/**
 * Writes the result time-stamped into `outDir`; a full (non-smoke) result is also copied,
 * trimmed, to `<outDir>/latest/<benchmark>.json` (the file the repository commits) unless a
 * newer one is there.
 */
export function writeResult(result: BenchResult, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, resultFileName(result));
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const latest = join(outDir, LATEST_DIR, `${result.benchmark}.json`);
  if (!result.smoke && !(dateOf(latest) > result.date)) {
    mkdirSync(dirname(latest), { recursive: true });
    writeFileSync(latest, `${JSON.stringify(trimmedForCommit(result), null, 2)}\n`);
  }
  return file;
}
