import type { RetrievalConfig } from '../../config/sections/models.ts';
import { EarlyStopping } from '../early-stopping.ts';
import { Rng } from '../../core/rng.ts';
import { TwoTower, type HistoryEntry, type ItemFeatures, type UserInput } from './two-tower.ts';

/** One user's positive engagements in time order (oldest first). */
export interface Sequence {
  user_id: string;
  locale: string;
  segment: string;
  items: string[];
  weights: number[];
  ts: number[];
}

/**
 * `before`: the history of a target is what came before it (causal, for logged events).
 * `others`: every other item of the user (for random splits, where order carries no meaning).
 */
export type HistoryMode = 'before' | 'others';

export interface RetrievalTrainData {
  sequences: Sequence[];
  items: ItemFeatures[];
  history: HistoryMode;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  examplesPerSec: number;
}

export interface TrainOptions {
  config: RetrievalConfig;
  seed: number;
  epochs?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Called after each epoch with the model; a returned number is a validation score (higher is better) for early stopping. */
  validate?: (model: TwoTower, epoch: number) => number | undefined;
  /** Only positives with `from <= ts < before` are targets (their history is all that came before them). */
  targets?: { from?: number; before?: number };
  /** Continues training this model (its items already set) instead of starting from scratch. */
  model?: TwoTower;
}

export interface TrainResult {
  model: TwoTower;
  epochLosses: number[];
  bestEpoch: number;
  bestScore: number | undefined;
  examples: number;
  seconds: number;
}

/** The history of position `pos` of a sequence, most recent first, at most `limit` entries. */
export function historyAt(seq: Sequence, pos: number, mode: HistoryMode, limit: number): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  const start = mode === 'before' ? pos - 1 : seq.items.length - 1;
  for (let k = start; k >= 0 && out.length < limit; k--) {
    if (k === pos) continue;
    out.push({ item_id: seq.items[k]!, weight: seq.weights[k]! });
  }
  return out;
}

/** Input dropout: drops each entry with probability `rate`, keeping at least one. */
function dropHistory(history: HistoryEntry[], rate: number, rng: Rng): HistoryEntry[] {
  if (rate <= 0 || history.length <= 1) return history;
  const kept = history.filter(() => rng.next() >= rate);
  return kept.length ? kept : [history[rng.int(history.length)]!];
}

/** The user input that serves a sequence's owner after all of it (used for evaluation). */
export function sequenceInput(seq: Sequence, limit: number): UserInput {
  return { locale: seq.locale, segment: seq.segment, history: historyAt(seq, seq.items.length, 'before', limit) };
}

/** Trains a two-tower model (from scratch unless `opts.model`); with `validate`, keeps the best epoch's weights. */
export function trainTwoTower(data: RetrievalTrainData, opts: TrainOptions): TrainResult {
  const started = performance.now();
  const { config, seed } = opts;
  const epochs = opts.epochs ?? config.epochs;
  let model = opts.model ?? new TwoTower(config, seed);
  if (!opts.model) model.setItems(data.items);
  const from = opts.targets?.from ?? -Infinity;
  const before = opts.targets?.before ?? Infinity;
  const examples: [number, number][] = [];
  data.sequences.forEach((seq, s) => {
    const targets: string[] = [];
    seq.items.forEach((item, p) => {
      const ts = seq.ts[p]!;
      if (seq.weights[p]! > 0 && ts >= from && ts < before) {
        examples.push([s, p]);
        targets.push(item);
      }
    });
    if (targets.length) model.observe([{ locale: seq.locale, segment: seq.segment, history: [] }], targets, seq.ts[seq.ts.length - 1] ?? 0);
  });
  if (examples.length === 0) throw new Error('no positive examples to train the retrieval model on');

  const rng = new Rng(seed);
  const B = Math.min(config.batchSize, examples.length);
  const steps = Math.floor(examples.length / B) || 1;
  const epochLosses: number[] = [];
  const stopping = new EarlyStopping<ReturnType<TwoTower['state']>>(config.patience);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    rng.shuffle(examples);
    const t0 = performance.now();
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const rows = examples.slice(step * B, step * B + B);
      const users: UserInput[] = [];
      const items: string[] = [];
      const weights = new Float32Array(rows.length);
      rows.forEach(([s, p], i) => {
        const seq = data.sequences[s]!;
        users.push({ locale: seq.locale, segment: seq.segment, history: dropHistory(historyAt(seq, p, data.history, config.historyLength), config.historyDropout, rng) });
        items.push(seq.items[p]!);
        weights[i] = seq.weights[p]!;
      });
      lossSum += model.trainStep({ users, items, weights });
      opts.onProgress?.({
        epoch,
        epochs,
        step: step + 1,
        steps,
        loss: lossSum / (step + 1),
        examplesPerSec: ((step + 1) * B) / ((performance.now() - t0) / 1000),
      });
    }
    epochLosses.push(lossSum / steps);
    const score = opts.validate?.(model, epoch);
    if (score !== undefined && stopping.update(epoch, score, () => model.state())) break;
  }
  const { best } = stopping;
  if (best && best.epoch !== epochLosses.length) {
    model.dispose();
    model = new TwoTower(config, seed, best.state);
  }
  return {
    model,
    epochLosses,
    bestEpoch: best?.epoch ?? epochLosses.length,
    bestScore: best?.score,
    examples: examples.length,
    seconds: (performance.now() - started) / 1000,
  };
}
