import type { Interactions } from './interactions.ts';
import { meanMetrics, topK, userMetrics, type MetricTable } from './metrics.ts';
import type { Split } from './split.ts';

export interface EvalContext {
  data: Interactions;
  split: Split;
  ks: number[];
  seed: number;
  /** Validation metrics of a scorer (training items excluded), for early stopping. */
  validate(score: Recommender['score']): MetricTable;
}

export interface Recommender {
  name: string;
  fit(ctx: EvalContext): void | Promise<void>;
  /** Writes the score of every item for each user into `out[n]` (one row per user). */
  score(users: number[], out: Float32Array[]): void;
  /** Anything worth reporting about the fit (epochs, seconds). */
  info?(): Record<string, unknown>;
}

export interface ModelReport {
  model: string;
  test: MetricTable;
  valid: MetricTable;
  fitSeconds: number;
  info?: Record<string, unknown>;
}

const BATCH = 256;

/** Full-catalogue ranking of each user with held-out rows, excluding `exclude` rows' items. */
export function rankAll(
  data: Interactions,
  score: Recommender['score'],
  target: number[][],
  exclude: number[][][],
  ks: number[],
): MetricTable {
  const nItems = data.items.length;
  const maxK = Math.max(...ks);
  const users = target.map((rows, u) => (rows.length ? u : -1)).filter((u) => u >= 0);
  const tables: MetricTable[] = [];
  const out = Array.from({ length: BATCH }, () => new Float32Array(nItems));
  for (let s = 0; s < users.length; s += BATCH) {
    const part = users.slice(s, s + BATCH);
    score(part, out);
    part.forEach((u, n) => {
      const seen = new Set<number>();
      for (const ex of exclude) for (const r of ex[u]!) seen.add(data.item[r]!);
      const relevant = new Set(target[u]!.map((r) => data.item[r]!));
      tables.push(userMetrics(topK(out[n]!, maxK, seen), relevant, ks));
    });
  }
  return meanMetrics(tables);
}

/** Fits each recommender on the training rows and reports validation and test metrics. */
export async function evaluateModels(
  data: Interactions,
  split: Split,
  models: Recommender[],
  ks: number[],
  seed: number,
  onModel?: (name: string) => void,
): Promise<ModelReport[]> {
  const ctx: EvalContext = {
    data,
    split,
    ks,
    seed,
    validate: (score) => rankAll(data, score, split.valid, [split.train], ks),
  };
  const reports: ModelReport[] = [];
  for (const m of models) {
    onModel?.(m.name);
    const t0 = performance.now();
    await m.fit(ctx);
    const fitSeconds = (performance.now() - t0) / 1000;
    reports.push({
      model: m.name,
      valid: ctx.validate(m.score.bind(m)),
      // Like RecBole: at test time the user's training and validation items are both excluded.
      test: rankAll(data, m.score.bind(m), split.test, [split.train, split.valid], ks),
      fitSeconds,
      ...(m.info ? { info: m.info() } : {}),
    });
  }
  return reports;
}
