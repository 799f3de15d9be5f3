import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** Bumped when the JSON layout changes; the README script skips results it cannot read. */
export const RESULT_SCHEMA_VERSION = 1;

const Cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const FigureSchema = z.object({
  /** The headline: the median over the repeats. */
  value: z.number().nullable(),
  unit: z.string(),
  note: z.string().optional(),
  /** Spread of the repeats the median is taken over (absent for figures measured once). */
  min: z.number().optional(),
  max: z.number().optional(),
  runs: z.number().int().positive().optional(),
});

export const BenchResultSchema = z.object({
  schema_version: z.literal(RESULT_SCHEMA_VERSION),
  benchmark: z.string(),
  smoke: z.boolean(),
  date: z.string(),
  duration_s: z.number(),
  git: z.object({ commit: z.string(), dirty: z.boolean() }),
  machine: z.object({
    cpu: z.string(),
    cores: z.number(),
    memory_bytes: z.number(),
    node: z.string(),
    platform: z.string(),
    kernel: z.string(),
    load_1m: z.number(),
    /** 1-minute load average when the run ended. */
    load_1m_end: z.number().optional(),
    /** Share of CPU time the hypervisor took (steal) over the run; null where unknown. */
    cpu_steal: z.number().nullable().optional(),
  }),
  backend: z.object({ tfjs: z.string(), reason: z.string() }),
  /** Number of repeated runs each median is taken over. */
  repeats: z.number().int().positive(),
  /** What was measured on: item counts, vector dimension, file names. */
  dataset: z.record(z.string(), z.union([z.string(), z.number()])),
  params: z.record(z.string(), z.unknown()),
  /** Headline figures, each a median over `repeats` runs. */
  figures: z.record(z.string(), FigureSchema),
  /** The reference measured side by side and the ratio of the measured figure to it. */
  references: z.array(z.object({ name: z.string(), description: z.string(), figure: z.string(), value: z.number().nullable(), unit: z.string(), ratio: z.number().nullable(), ratio_meaning: z.string() })),
  tables: z.array(z.object({ title: z.string(), columns: z.array(z.string()), rows: z.array(z.array(Cell)) })),
  targets: z.array(
    z.object({
      id: z.string(),
      figure: z.string(),
      target: z.string(),
      value: z.number().nullable(),
      unit: z.string(),
      met: z.boolean(),
      margin: z.string(),
      applies: z.boolean(),
      note: z.string().optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      runs: z.number().int().positive().optional(),
    }),
  ),
  /** Raw points for plots (latency per rate step, recall per ANN setting). */
  series: z.record(z.string(), z.array(z.record(z.string(), Cell))),
  notes: z.array(z.string()),
});

export type BenchResult = z.infer<typeof BenchResultSchema>;
export type Figure = z.infer<typeof FigureSchema>;
export type Reference = BenchResult['references'][number];

/** `ann-2026-11-21T23-40-12Z.json`: sorts by time within a benchmark. */
export function resultFileName(r: Pick<BenchResult, 'benchmark' | 'date' | 'smoke'>): string {
  const stamp = r.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return `${r.benchmark}${r.smoke ? '-smoke' : ''}-${stamp}.json`;
}

/** Committed copies of the newest full result of each benchmark, `<outDir>/latest/<benchmark>.json`. */
export const LATEST_DIR = 'latest';

/** Points kept per series in the committed copy; plots need no more. */
export const MAX_COMMITTED_POINTS = 200;

/** The result with each long series thinned to MAX_COMMITTED_POINTS evenly spaced points (first and last kept). */
export function trimmedForCommit(result: BenchResult): BenchResult {
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

/** Every readable result in `dir`, oldest first; unreadable files are reported, not fatal. */
export function readResults(dir: string): { results: BenchResult[]; skipped: { file: string; reason: string }[] } {
  const results: BenchResult[] = [];
  const skipped: { file: string; reason: string }[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return { results, skipped };
  }
  for (const f of files) {
    try {
      const parsed = BenchResultSchema.safeParse(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      if (parsed.success) results.push(parsed.data);
      else skipped.push({ file: f, reason: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; ') });
    } catch (err) {
      skipped.push({ file: f, reason: (err as Error).message });
    }
  }
  results.sort((a, b) => a.date.localeCompare(b.date));
  return { results, skipped };
}

/** Results of several folders together, oldest first (a committed copy and its local original count once). */
export function readResultDirs(dirs: readonly string[]): { results: BenchResult[]; skipped: { file: string; reason: string }[] } {
  const seen = new Set<string>();
  const results: BenchResult[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const dir of dirs) {
    const read = readResults(dir);
    skipped.push(...read.skipped);
    for (const r of read.results) {
      const key = `${r.benchmark} ${r.date} ${r.smoke}`;
      if (!seen.has(key)) results.push(r);
      seen.add(key);
    }
  }
  results.sort((a, b) => a.date.localeCompare(b.date));
  return { results, skipped };
}

/** The newest full (non-smoke) result of each benchmark. */
export function latestByBenchmark(results: readonly BenchResult[]): Map<string, BenchResult> {
  const latest = new Map<string, BenchResult>();
  for (const r of results) if (!r.smoke) latest.set(r.benchmark, r);
  return latest;
}
