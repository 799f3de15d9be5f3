import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Bumped when the JSON layout changes; the README script skips results it cannot read. */
export const RESULT_SCHEMA_VERSION = 1;

const Cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const FigureSchema = z.object({ value: z.number().nullable(), unit: z.string(), note: z.string().optional() });

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

export function writeResult(result: BenchResult, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, resultFileName(result));
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
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

/** The newest full (non-smoke) result of each benchmark. */
export function latestByBenchmark(results: readonly BenchResult[]): Map<string, BenchResult> {
  const latest = new Map<string, BenchResult>();
  for (const r of results) if (!r.smoke) latest.set(r.benchmark, r);
  return latest;
}
