import type { SequentialConfig } from '../sequential/config.ts';
import type { SasRec } from '../sequential/sasrec.ts';
import type { SequenceEvent } from '../sequential/tokens.ts';
import { fitSequential } from '../sequential/train.ts';
import { dotScores } from './dot-scores.ts';
import { validationNdcg, type EvalContext, type Recommender, type RowsByUser, type Scorer, type TrainHooks } from './evaluate.ts';
import type { Interactions } from './interactions.ts';
import { timeOrdered } from './two-tower-recommender.ts';

/** A user's rows as the sequence model's events (an interactions file has no watch ratios). */
function eventsOf(data: Interactions, rows: readonly number[]): SequenceEvent[] {
  return timeOrdered(data, rows).map((r) => ({ item_id: data.items[data.item[r]!]!, kind: data.kind[r]!, watchRatio: null, ts: data.ts[r]! }));
}

/** The SASRec-style sequence model (models/sequential/) as an offline recommender. */
export function sasRecRecommender(config: SequentialConfig, hooks: TrainHooks = {}): Recommender {
  let model: SasRec | undefined;
  let itemVectors: Float32Array = new Float32Array(0);
  let data: Interactions | undefined;
  let info: Record<string, unknown> = {};

  const scorer =
    (m: SasRec, vectors: Float32Array): Scorer =>
    (users: readonly number[], history: RowsByUser, out: Float32Array[]) => {
      dotScores(m.encode(users.map((u) => eventsOf(data!, history[u]!))), vectors, m.dim, out);
    };

  return {
    name: 'sasrec',
    fit(ctx: EvalContext) {
      data = ctx.data;
      const result = fitSequential(
        ctx.split.train.map((rows) => eventsOf(ctx.data, rows)),
        {
          config,
          seed: ctx.seed,
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          validate: validationNdcg(ctx, (m: SasRec) => scorer(m, m.itemVectors(ctx.data.items)), hooks),
        },
      );
      model = result.model;
      itemVectors = model.itemVectors(ctx.data.items);
      info = {
        epochs: result.epochLosses.length,
        bestEpoch: result.bestEpoch,
        validNdcg: result.bestScore,
        trainSeconds: result.seconds,
        targetsPerEpoch: result.targets,
        losses: result.epochLosses.map((l) => +l.toFixed(4)),
      };
    },
    score(users, history, out) {
      if (!model) throw new Error('sasrec: score before fit');
      scorer(model, itemVectors)(users, history, out);
    },
    info: () => info,
  };
}
