import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Result files of benchmarks, the simulator and `feed evaluate`: their JSON layout and reading
 * them back (the dashboard and `feed bench report`). Writing them is the benchmark harness's job.
 */

/** Bumped when the JSON layout changes; the README script skips results it cannot read. */
export const RESULT_SCHEMA_VERSION = 1;

const Cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const FigureSchema = z.object({
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
  references: z.array(
    z.object({ name: z.string(), description: z.string(), figure: z.string(), value: z.number().nullable(), unit: z.string(), ratio: z.number().nullable(), ratio_meaning: z.string() }),
  ),
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

/** Committed copies of the newest full result of each benchmark, `<outDir>/latest/<benchmark>.json`. */
export const LATEST_DIR = 'latest';

/** This repository's results folder; its `latest/` holds the committed copies. */
export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../benchmarks/results/', import.meta.url));

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
      else
        skipped.push({
          file: f,
          reason: parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || 'result'}: ${i.message}`)
            .join('; '),
        });
    } catch (err) {
      skipped.push({ file: f, reason: (err as Error).message });
    }
  }
  results.sort((a, b) => a.date.localeCompare(b.date));
  return { results, skipped };
}

/** Results of several folders together, oldest first (a committed copy and its local original count once). */
function readResultDirs(dirs: readonly string[]): { results: BenchResult[]; skipped: { file: string; reason: string }[] } {
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

/**
 * The newest result of each benchmark (a full run over a smoke run), newest first, and the
 * files that could not be read: the committed copies in `<dir>/latest/` (what a fresh clone
 * shows) together with this machine's own runs in `dir`. The simulator's and `feed evaluate`'s
 * results are among them.
 */
export function latestResults(dir: string): { results: BenchResult[]; skipped: { file: string; reason: string }[] } {
  const { results, skipped } = readResultDirs([dir, join(dir, LATEST_DIR)]);
  const latest = new Map<string, BenchResult>();
  for (const r of results) {
    const held = latest.get(r.benchmark);
    if (!held || !r.smoke || held.smoke) latest.set(r.benchmark, r);
  }
  return { results: [...latest.values()].sort((a, b) => b.date.localeCompare(a.date)), skipped };
}
