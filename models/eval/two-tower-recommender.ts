import type { RetrievalConfig } from '../../config/sections/models.ts';
import { trainTwoTower, sequenceInput, type Sequence } from '../retrieval/train.ts';
import type { TwoTower } from '../retrieval/two-tower.ts';
import { dotScores } from './dot-scores.ts';
import { validationNdcg, type EvalContext, type Recommender, type RowsByUser, type Scorer, type TrainHooks } from './evaluate.ts';
import type { Interactions } from './interactions.ts';

/** A user's rows in time order (ties by row). */
export function timeOrdered(data: Interactions, rows: readonly number[]): number[] {
  return [...rows].sort((a, b) => data.ts[a]! - data.ts[b]! || a - b);
}

function sequenceOf(data: Interactions, u: number, rows: readonly number[]): Sequence {
  const sorted = timeOrdered(data, rows);
  return {
    user_id: data.users[u]!,
    locale: '',
    segment: '',
    items: sorted.map((r) => data.items[data.item[r]!]!),
    weights: sorted.map((r) => data.weight[r]!),
    ts: sorted.map((r) => data.ts[r]!),
  };
}

/** The project's two-tower model on a bare interactions file (ids only, no side features). */
export function twoTowerRecommender(config: RetrievalConfig, hooks: TrainHooks = {}): Recommender {
  let model: TwoTower | undefined;
  let itemVectors: Float32Array = new Float32Array(0);
  let data: Interactions | undefined;
  let info: Record<string, unknown> = {};

  const scorer =
    (m: TwoTower, vectors: Float32Array): Scorer =>
    (users: readonly number[], history: RowsByUser, out: Float32Array[]) => {
      const uv = m.userVectors(users.map((u) => sequenceInput(sequenceOf(data!, u, history[u]!), config.historyLength)));
      dotScores(uv, vectors, m.dim, out);
    };

  return {
    name: 'twotower',
    fit(ctx: EvalContext) {
      data = ctx.data;
      const sequences = ctx.split.train.map((rows, u) => sequenceOf(ctx.data, u, rows));
      const result = trainTwoTower(
        { sequences, items: ctx.data.items.map((item_id) => ({ item_id, category: '', creator_id: '', has_product: false, price: 0 })), history: 'others' },
        {
          config,
          seed: ctx.seed,
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          validate: validationNdcg(ctx, (m: TwoTower) => scorer(m, m.itemVectors(ctx.data.items)), hooks),
        },
      );
      model = result.model;
      itemVectors = model.itemVectors(ctx.data.items);
      info = { epochs: result.epochLosses.length, bestEpoch: result.bestEpoch, validNdcg: result.bestScore, trainSeconds: result.seconds, losses: result.epochLosses.map((l) => +l.toFixed(4)) };
    },
    score(users, history, out) {
      if (!model) throw new Error('twotower: score before fit');
      scorer(model, itemVectors)(users, history, out);
    },
    info: () => info,
  };
}
