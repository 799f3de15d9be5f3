import type { TrainProgress } from '../retrieval/train.ts';
import type { Interactions } from './interactions.ts';
import { meanMetrics, topK, userMetrics, type MetricTable } from './metrics.ts';
import { testHistory, type Protocol, type Split } from './split.ts';

/** Row indices per user (indexed by user). */
export type RowsByUser = readonly (readonly number[])[];

/**
 * Writes the score of every item for each of `users` into `out[n]`, given the rows to treat as
 * each user's history at this phase (indexed by user).
 */
export type Scorer = (users: readonly number[], history: RowsByUser, out: Float32Array[]) => void;

export interface EvalContext {
  data: Interactions;
  split: Split;
  ks: number[];
  seed: number;
  /** Validation metrics of a scorer (history and exclusions: the training rows), for early stopping. */
  validate(score: Scorer): MetricTable;
}

export interface Recommender {
  name: string;
  /** Learns from `ctx.split.train` only. */
  fit(ctx: EvalContext): void | Promise<void>;
  score: Scorer;
  /** Anything worth reporting about the fit (epochs, seconds). */
  info?(): Record<string, unknown>;
}

/** Progress of a trained recommender, for the command's progress line and log. */
export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  /** After each epoch: the validation NDCG at the first k, used for early stopping, and the seconds that pass took. */
  onValidate?: (epoch: number, ndcg: number, seconds: number) => void;
}

/** A trainer's per-epoch validate callback: validation NDCG at the first cut-off (RecBole stops on MRR@10). */
export function validationNdcg<M>(ctx: EvalContext, scorerOf: (model: M) => Scorer, hooks: TrainHooks): (model: M, epoch: number) => number {
  return (model, epoch) => {
    const started = performance.now();
    const ndcg = ctx.validate(scorerOf(model))[`ndcg@${ctx.ks[0]}`] ?? 0;
    hooks.onValidate?.(epoch, ndcg, (performance.now() - started) / 1000);
    return ndcg;
  };
}

export interface ModelReport {
  model: string;
  test: MetricTable;
  valid: MetricTable;
  fitSeconds: number;
  /** Time to score and rank the test users over the full catalogue. */
  scoreSeconds: number;
  info?: Record<string, unknown>;
}

const BATCH = 256;

/** Full-catalogue ranking of each user with held-out `target` rows, excluding the items of `exclude` rows. */
function rankAll(data: Interactions, score: Scorer, target: RowsByUser, history: RowsByUser, exclude: readonly RowsByUser[], ks: number[]): MetricTable {
  const nItems = data.items.length;
  const maxK = Math.max(...ks);
  // Batches of users with histories of similar length: a sequence model pads each batch to its
  // longest history (in user order, one long history per batch made sasrec's scoring ~6x slower).
  const users = target
    .map((rows, u) => (rows.length ? u : -1))
    .filter((u) => u >= 0)
    .sort((a, b) => history[a]!.length - history[b]!.length || a - b);
  const tables: MetricTable[] = [];
  const out = Array.from({ length: Math.min(BATCH, users.length) }, () => new Float32Array(nItems));
  for (let s = 0; s < users.length; s += BATCH) {
    const part = users.slice(s, s + BATCH);
    score(part, history, out);
    part.forEach((u, n) => {
      const row = out[n]!;
      // Excluded items are marked in the score row itself: a Set lookup per (user, item) costs minutes at 30k x 25k.
      for (const ex of exclude) for (const r of ex[u]!) row[data.item[r]!] = -Infinity;
      const relevant = new Set(target[u]!.map((r) => data.item[r]!));
      tables.push(userMetrics(topK(row, maxK), relevant, ks));
    });
  }
  return meanMetrics(tables);
}

export interface EvaluateHooks {
  onFit?: (name: string) => void;
  onReport?: (report: ModelReport) => void;
}

/** Fits each recommender on the training rows and reports validation and test metrics. */
export async function evaluateModels(
  data: Interactions,
  split: Split,
  protocol: Protocol,
  models: readonly Recommender[],
  ks: number[],
  seed: number,
  hooks: EvaluateHooks = {},
): Promise<ModelReport[]> {
  const ctx: EvalContext = {
    data,
    split,
    ks,
    seed,
    validate: (score) => rankAll(data, score, split.valid, split.train, [split.train], ks),
  };
  const history = testHistory(split, protocol);
  const reports: ModelReport[] = [];
  for (const m of models) {
    hooks.onFit?.(m.name);
    const t0 = performance.now();
    await m.fit(ctx);
    const fitSeconds = (performance.now() - t0) / 1000;
    const valid = ctx.validate(m.score);
    const t1 = performance.now();
    // Like RecBole: at test time the user's training and validation items are both excluded.
    const test = rankAll(data, m.score, split.test, history, [split.train, split.valid], ks);
    const report: ModelReport = { model: m.name, valid, test, fitSeconds, scoreSeconds: (performance.now() - t1) / 1000, ...(m.info ? { info: m.info() } : {}) };
    hooks.onReport?.(report);
    reports.push(report);
  }
  return reports;
}
