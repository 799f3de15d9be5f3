import { EarlyStopping } from '../early-stopping.ts';
import { Rng } from '../../core/rng.ts';
import type { TrainProgress } from '../retrieval/train.ts';
import type { SequentialConfig } from './config.ts';
import { SasRec, type SasRecState } from './sasrec.ts';
import type { SequenceEvent } from './tokens.ts';

export interface FitOptions {
  config: SequentialConfig;
  seed: number;
  onProgress?: (p: TrainProgress) => void;
  /** Called after each epoch; a returned number is a validation score (higher is better) for early stopping. */
  validate?: (model: SasRec, epoch: number) => number | undefined;
}

export interface FitResult {
  model: SasRec;
  epochLosses: number[];
  bestEpoch: number;
  bestScore: number | undefined;
  /** Next-item targets per epoch. */
  targets: number;
  seconds: number;
}

/**
 * Training windows of at most maxLen + 1 events, cut from the end of each sequence backwards, so
 * every event after the first is a next-item target once per epoch.
 */
export function trainingWindows(sequences: readonly (readonly SequenceEvent[])[], maxLen: number): SequenceEvent[][] {
  const out: SequenceEvent[][] = [];
  for (const seq of sequences) {
    for (let end = seq.length; end >= 2; end -= maxLen) out.push(seq.slice(Math.max(0, end - maxLen - 1), end));
  }
  return out;
}

/** Trains a SASRec-style model from scratch on users' ordered sequences; with `validate`, keeps the best epoch. */
export function fitSequential(sequences: readonly (readonly SequenceEvent[])[], opts: FitOptions): FitResult {
  const started = performance.now();
  const { config, seed } = opts;
  let model = new SasRec(config, seed);
  model.observe(sequences);
  const windows = trainingWindows(sequences, config.maxLen);
  if (!windows.length) throw new Error('no sequence has two events: nothing to learn the next item from');
  const targets = windows.reduce((n, w) => n + w.length - 1, 0);
  const rng = new Rng(seed);
  const epochLosses: number[] = [];
  const stopping = new EarlyStopping<SasRecState>(config.patience);
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    // Batches of similar lengths (little padding), in random order, with random members among equals.
    const key = windows.map(() => rng.next());
    const order = windows.map((_, i) => i).sort((a, b) => windows[a]!.length - windows[b]!.length || key[a]! - key[b]!);
    const batches: number[][] = [];
    for (let s = 0; s < order.length; s += config.batchSize) batches.push(order.slice(s, s + config.batchSize));
    rng.shuffle(batches);
    const t0 = performance.now();
    let lossSum = 0;
    let weightSum = 0;
    let done = 0;
    batches.forEach((batch, step) => {
      const ws = batch.map((i) => windows[i]!);
      const n = ws.reduce((a, w) => a + w.length - 1, 0);
      lossSum += n * model.trainStep({ inputs: ws.map((w) => w.slice(0, -1)), targets: ws.map((w) => w.slice(1).map((e) => e.item_id)) });
      weightSum += n;
      done += n;
      opts.onProgress?.({ epoch, epochs: config.epochs, step: step + 1, steps: batches.length, loss: lossSum / weightSum, examplesPerSec: done / ((performance.now() - t0) / 1000) });
    });
    epochLosses.push(lossSum / weightSum);
    const score = opts.validate?.(model, epoch);
    if (score !== undefined && stopping.update(epoch, score, () => model.state())) break;
  }
  const { best } = stopping;
  if (best && best.epoch !== epochLosses.length) {
    model.dispose();
    model = new SasRec(config, seed, best.state);
  }
  return {
    model,
    epochLosses,
    bestEpoch: best?.epoch ?? epochLosses.length,
    bestScore: best?.score,
    targets,
    seconds: (performance.now() - started) / 1000,
  };
}
