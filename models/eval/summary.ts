import type { ModelReport } from './evaluate.ts';
import type { MetricTable } from './metrics.ts';

/** One model over several seeds: mean and sample standard deviation (n - 1) of each figure. */
export interface ModelSummary {
  model: string;
  seeds: number;
  mean: MetricTable;
  std: MetricTable;
  fitSeconds: { mean: number; std: number };
  scoreSeconds: { mean: number; std: number };
}

function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, v) => a + v, 0) / (n || 1);
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

/** Aggregates per-seed runs (each the reports of every model in one seed) by model, in first-run order. */
export function summarizeSeeds(runs: readonly (readonly ModelReport[])[]): ModelSummary[] {
  const models = runs[0]?.map((r) => r.model) ?? [];
  return models.map((model) => {
    const reports = runs.map((run) => {
      const r = run.find((x) => x.model === model);
      if (!r) throw new Error(`model ${model} is missing from a seed's run`);
      return r;
    });
    const mean: MetricTable = {};
    const std: MetricTable = {};
    for (const key of Object.keys(reports[0]!.test)) {
      const s = meanStd(reports.map((r) => r.test[key]!));
      mean[key] = s.mean;
      std[key] = s.std;
    }
    return { model, seeds: reports.length, mean, std, fitSeconds: meanStd(reports.map((r) => r.fitSeconds)), scoreSeconds: meanStd(reports.map((r) => r.scoreSeconds)) };
  });
}
