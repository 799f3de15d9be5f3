/** Order statistics for benchmark samples. */
import type { Figure } from './result.ts';

export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of `sorted` (ascending); NaN for no samples. */
function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function percentile(samples: readonly number[], p: number): number {
  return percentileSorted(Float64Array.from(samples).sort(), p);
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const s = Float64Array.from(samples).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n: s.length,
    mean: s.length ? sum / s.length : Number.NaN,
    p50: percentileSorted(s, 50),
    p90: percentileSorted(s, 90),
    p99: percentileSorted(s, 99),
    max: s.length ? s[s.length - 1]! : Number.NaN,
  };
}

/** Field-wise median over repeated runs of the same measurement. */
export function medianOf<T extends Record<string, number>>(runs: readonly T[]): T {
  if (runs.length === 0) throw new Error('medianOf: no runs');
  const out: Record<string, number> = {};
  for (const key of Object.keys(runs[0]!)) out[key] = median(runs.map((r) => r[key]!));
  return out as T;
}

/** Rounds for display and JSON: keeps 3 significant digits below 100, integers above. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  if (Math.abs(v) >= 100) return Math.round(v);
  return Number(v.toPrecision(3));
}

/** A headline figure: the median over runs of a per-run value, with min, max and the run count beside it. */
export function overRuns(values: readonly number[], unit: string, note?: string): Figure {
  return { value: round(median(values)), unit, ...(note ? { note } : {}), min: round(Math.min(...values)), max: round(Math.max(...values)), runs: values.length };
}

/** The spread of a figure from `overRuns`, as `checkTarget` takes it. */
export function spreadOf(f: Figure): { min: number; max: number; runs: number } | undefined {
  return f.min !== undefined && f.max !== undefined && f.runs !== undefined ? { min: f.min, max: f.max, runs: f.runs } : undefined;
}
