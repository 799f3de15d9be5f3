import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { initBackend } from './backend.ts';
import { FEATURE_SPEC } from './features.ts';
import { meanMetrics, topK, userMetrics, type MetricTable } from './eval/metrics.ts';
import { attentionKeys, engagedItems, targetAttention } from './user-relation.ts';
import { auc, MultitaskMmoe, toMatrices, type MultitaskExample } from './multitask/multitask.ts';
import { saveMultitask } from './multitask/persist.ts';
import { saveServingArtifacts } from './ann/save-artifacts.ts';
import { createVersion, inheritModel, listVersions, promote, readPointer, versionDir, type Manifest } from './registry.ts';
import { loadTwoTower, saveTwoTower } from './retrieval/persist.ts';
import { trainTwoTower, type TrainProgress } from './retrieval/train.ts';
import { userInputOf, type TwoTower } from './retrieval/two-tower.ts';
import type { TrainingData } from './training-data.ts';
import { loadTrainingData, type StreamProgress } from './training-stream.ts';
import { OBJECTIVES } from './types.ts';

export type ModelChoice = 'retrieval' | 'ranker' | 'all';

export interface TrainAllOptions {
  model?: ModelChoice;
  /** Overrides the configured epochs of the model(s) trained. */
  epochs?: number;
  seed?: number;
  promote?: boolean;
  /** Training data; read from ClickHouse when absent. */
  data?: TrainingData;
  onProgress?: (model: 'retrieval' | 'ranker', p: TrainProgress) => void;
  /** Progress of streaming the training range from ClickHouse. */
  onData?: (p: StreamProgress) => void;
}

export interface TrainReport {
  version: string;
  promoted: boolean;
  metrics: Record<string, unknown>;
  manifest: Manifest;
  seconds: number;
  /** What the training sets kept of the range (the bounds of models.trainingData at work). */
  data: {
    events: number;
    retrievalSequences: number;
    retrievalPositions: number;
    rankerTrain: number;
    rankerTest: number;
    totals: TrainingData['totals'];
  };
}

/**
 * The eval harness's metrics (models/eval/metrics.ts: MRR cut at k) of each held-out positive (a
 * sample, see TrainingDataConfig) ranked over every known item, beside the same for a popularity ranking.
 */
function evaluateRetrieval(model: TwoTower, data: TrainingData, ks = [10, 50]): Record<string, number> {
  const sample = data.retrieval.test;
  if (!sample.length) return {};
  const ids = model.knownItems();
  const index = new Map(ids.map((id, i) => [id, i]));
  const vectors = model.itemVectors(ids);
  const dim = model.dim;
  const maxK = Math.max(...ks);
  const counts = data.retrieval.positives;
  const popular = ids
    .map((_, i) => i)
    .sort((a, b) => (counts.get(ids[b]!) ?? 0) - (counts.get(ids[a]!) ?? 0))
    .slice(0, maxK);
  const perExample: MetricTable[] = [];
  const popularPerExample: MetricTable[] = [];
  const scores = new Float32Array(ids.length);
  for (let s = 0; s < sample.length; s += 256) {
    const part = sample.slice(s, s + 256);
    const uv = model.userVectors(part.map((t) => t.user));
    part.forEach((t, n) => {
      for (let i = 0; i < ids.length; i++) {
        let sc = 0;
        for (let d = 0; d < dim; d++) sc += uv[n * dim + d]! * vectors[i * dim + d]!;
        scores[i] = sc;
      }
      // An item the model does not know is a miss (-1 is never ranked).
      const relevant = new Set([index.get(t.item) ?? -1]);
      perExample.push(userMetrics(topK(scores, maxK), relevant, ks));
      popularPerExample.push(userMetrics(popular, relevant, ks));
    });
  }
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(meanMetrics(perExample))) if (key.startsWith('recall@') || key.startsWith('mrr@')) out[key] = value;
  for (const [key, value] of Object.entries(meanMetrics(popularPerExample))) if (key.startsWith('recall@')) out[`popular_${key}`] = value;
  out.examples = sample.length;
  return out;
}

/**
 * Fills what needs the retrieval model, as serving does: each example's retrieval score (cosine
 * of user and item vectors) and target attention over its history (the item tower's vectors).
 */
function scoreExamples(model: TwoTower, examples: MultitaskExample[]): void {
  const dim = model.dim;
  const vectors = new Map<string, Float32Array | undefined>();
  const vectorOf = (id: string) => (vectors.has(id) ? vectors.get(id) : vectors.set(id, model.itemVector(id)).get(id));
  for (let s = 0; s < examples.length; s += 256) {
    const part = examples.slice(s, s + 256);
    const uv = model.userVectors(part.map((e) => userInputOf(e.user)));
    part.forEach((e, n) => {
      const iv = vectorOf(e.candidate.item_id);
      let score = 0;
      if (iv) for (let d = 0; d < dim; d++) score += uv[n * dim + d]! * iv[d]!;
      e.candidate.retrieval_score = score;
      const keys = attentionKeys(engagedItems(e.user.recent), vectorOf);
      const a = targetAttention(keys, iv);
      e.candidate.attention_score = a.score;
      e.candidate.attention_max = a.max;
    });
  }
}

/**
 * How well the retrieval score alone predicts completion. Far higher on the training examples
 * than on the held-out ones means the score is in-sample there (see `models.multitaskWindow`).
 */
function retrievalScoreAuc(examples: readonly MultitaskExample[]): number | null {
  return (
    auc(
      examples.map((e) => e.candidate.retrieval_score),
      examples.map((e) => e.labels.complete),
    ) ?? null
  );
}

/** One decile of predictions: mean predicted vs observed rate over its examples. */
export interface CalibrationBin {
  predicted: number;
  observed: number;
  n: number;
}

/** Predicted vs observed rate per decile of the predictions (sorted by prediction, equal counts). */
export function calibration(pred: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const idx = Array.from({ length: pred.length }, (_, i) => i).sort((a, b) => pred[a]! - pred[b]!);
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const from = Math.floor((b * idx.length) / bins);
    const to = Math.floor(((b + 1) * idx.length) / bins);
    if (to <= from) continue;
    let p = 0;
    let o = 0;
    for (let i = from; i < to; i++) {
      p += pred[idx[i]!]!;
      o += labels[idx[i]!]!;
    }
    out.push({ predicted: p / (to - from), observed: o / (to - from), n: to - from });
  }
  return out;
}

/** Held-out AUC and log loss per head (flat numbers), and each head's calibration by decile. */
function evaluateMultitask(model: MultitaskMmoe, examples: readonly MultitaskExample[]): Record<string, number | null | Record<string, CalibrationBin[]>> {
  if (!examples.length) return {};
  const { x, y, n } = toMatrices(examples);
  const preds = model.predictMatrix(x, n);
  const calib: Record<string, CalibrationBin[]> = {};
  const out: Record<string, number | null | Record<string, CalibrationBin[]>> = { examples: n, calibration: calib };
  OBJECTIVES.forEach((o, j) => {
    const labels = Float32Array.from({ length: n }, (_, i) => y[i * OBJECTIVES.length + j]!);
    out[`auc_${o}`] = auc(preds[o], labels) ?? null;
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const p = Math.min(1 - 1e-6, Math.max(1e-6, preds[o][i]!));
      ll -= labels[i]! * Math.log(p) + (1 - labels[i]!) * Math.log(1 - p);
    }
    out[`logloss_${o}`] = ll / n;
    calib[o] = calibration(preds[o], labels);
  });
  return out;
}

/** The version holding the model to reuse when only the other one is retrained. */
function baseVersion(config: Config, kind: 'retrieval' | 'ranker'): string | undefined {
  const promoted = readPointer(config).version;
  if (promoted) return promoted;
  return listVersions(config)
    .reverse()
    .find((m) => m.models[kind])?.version;
}

/**
 * Builds the training sets from ClickHouse (time split), trains the chosen model(s), evaluates
 * on the held-out slice and writes a registry version; promotes it when asked.
 */
export async function trainAll(config: Config, opts: TrainAllOptions = {}): Promise<TrainReport> {
  const started = performance.now();
  const log = childLogger('train');
  const which = opts.model ?? 'all';
  const seed = opts.seed ?? config.seed;
  const backend = await initBackend();
  const data = opts.data ?? (await loadTrainingData(config, config.models.holdout, opts.onData));
  if (data.range.events === 0) throw new Error('no events to train on: ingest events (or run the simulator) first');
  log.info(
    { events: data.range.events, retrievalSequences: data.retrieval.train.length, rankerTrain: data.multitask.train.length, rankerTest: data.multitask.test.length, beforeSampling: data.totals },
    'training data',
  );

  const metrics: Record<string, unknown> = {};
  // Set when the retrieval model trained here first trains on what precedes the multi-task window and scores its examples.
  const windowFrom = which === 'all' ? data.range.multitaskFrom : null;
  let retrieval: TwoTower | undefined;
  let retrievalFrom: string | undefined;
  if (which === 'ranker') {
    retrievalFrom = baseVersion(config, 'retrieval');
    if (!retrievalFrom) throw new Error('training the ranker alone needs a retrieval model in the registry: run `feed train --model all` first');
    retrieval = loadTwoTower(versionDir(config, retrievalFrom));
  } else {
    const rc = { ...config.models.retrieval, ...(opts.epochs ? { epochs: opts.epochs } : {}) };
    const input = { sequences: data.retrieval.train, items: data.items, history: 'before' as const };
    const onProgress = opts.onProgress ? (p: TrainProgress) => opts.onProgress!('retrieval', p) : undefined;
    const result = trainTwoTower(input, { config: rc, seed, ...(onProgress ? { onProgress } : {}), ...(windowFrom !== null ? { targets: { before: windowFrom } } : {}) });
    retrieval = result.model;
    let catchUp: { examples: number; seconds: number } | undefined;
    if (windowFrom !== null) {
      // The multi-task examples are scored out of sample now; then retrieval learns the window too (one epoch).
      scoreExamples(retrieval, data.multitask.train);
      const more = trainTwoTower(input, { config: rc, seed, epochs: 1, model: retrieval, targets: { from: windowFrom }, ...(onProgress ? { onProgress } : {}) });
      catchUp = { examples: more.examples, seconds: more.seconds };
    }
    metrics.retrieval = {
      ...evaluateRetrieval(retrieval, data),
      epochs: result.epochLosses.length,
      loss: result.epochLosses,
      train_seconds: result.seconds + (catchUp?.seconds ?? 0),
      examples: result.examples,
      ...(catchUp ? { ranker_window_examples: catchUp.examples } : {}),
    };
  }

  let ranker: MultitaskMmoe | undefined;
  let rankerFrom: string | undefined;
  if (which === 'retrieval') {
    rankerFrom = baseVersion(config, 'ranker');
  } else {
    if (!data.multitask.train.length) throw new Error('no impressions before the time cutoff to train the ranker on');
    // With a window, already scored by the retrieval model before it saw it.
    if (windowFrom === null) scoreExamples(retrieval, data.multitask.train);
    scoreExamples(retrieval, data.multitask.test);
    ranker = new MultitaskMmoe(config.models.multitask, seed);
    const t0 = performance.now();
    const { x, y, n } = toMatrices(data.multitask.train);
    const losses = ranker.fit(x, y, n, {
      ...(opts.epochs ? { epochs: opts.epochs } : {}),
      ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!('ranker', p) } : {}),
    });
    metrics.ranker = {
      ...evaluateMultitask(ranker, data.multitask.test),
      retrieval_score_auc_complete: { train: retrievalScoreAuc(data.multitask.train), test: retrievalScoreAuc(data.multitask.test) },
      loss: losses,
      train_seconds: (performance.now() - t0) / 1000,
      train_examples: n,
    };
  }

  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const manifest = await createVersion(
    config,
    {
      backend: backend.name,
      seed,
      config: { retrieval: config.models.retrieval, ranker: config.models.multitask, weights: config.models.weights, holdout: config.models.holdout },
      feature_spec: FEATURE_SPEC,
      metrics,
      data_range: { from: iso(data.range.from), to: iso(data.range.to), cutoff: iso(data.range.cutoff), ranker_from: iso(data.range.multitaskFrom), events: data.range.events },
    },
    async (dir) => {
      const models: Manifest['models'] = {};
      if (retrievalFrom) models.retrieval = inheritModel(config, retrievalFrom, 'retrieval', dir);
      else models.retrieval = { files: [...saveTwoTower(retrieval!, dir), ...(await saveServingArtifacts(config, retrieval!, dir))] };
      if (ranker) models.ranker = { files: saveMultitask(ranker, dir) };
      else if (rankerFrom) models.ranker = inheritModel(config, rankerFrom, 'ranker', dir);
      return models;
    },
  );
  retrieval.dispose();
  ranker?.dispose();
  if (opts.promote) promote(config, manifest.version);
  const promoted = opts.promote === true;
  log.info({ version: manifest.version, promoted }, 'model version written');
  const kept = {
    events: data.range.events,
    retrievalSequences: data.retrieval.train.length,
    retrievalPositions: data.retrieval.train.reduce((n, s) => n + s.items.length, 0),
    rankerTrain: data.multitask.train.length,
    rankerTest: data.multitask.test.length,
    totals: data.totals,
  };
  return { version: manifest.version, promoted, metrics, manifest, seconds: (performance.now() - started) / 1000, data: kept };
}
