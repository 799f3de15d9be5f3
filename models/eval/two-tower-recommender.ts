import type { RetrievalConfig } from '../config.ts';
import { trainTwoTower, sequenceInput, type Sequence, type TrainProgress } from '../retrieval/train.ts';
import type { TwoTower } from '../retrieval/two-tower.ts';
import type { EvalContext, Recommender } from './evaluate.ts';

/** The project's two-tower model on a bare interactions file (ids only, no side features). */
export interface TwoTowerHooks {
  onProgress?: (p: TrainProgress) => void;
  /** After each epoch: the validation NDCG at the first k, used for early stopping. */
  onValidate?: (epoch: number, ndcg: number) => void;
}

export function twoTowerRecommender(config: RetrievalConfig, hooks: TwoTowerHooks = {}): Recommender {
  let model: TwoTower | undefined;
  let itemVectors: Float32Array = new Float32Array(0);
  let sequences: Sequence[] = [];
  let info: Record<string, unknown> = {};

  const scorer = (m: TwoTower, vectors: Float32Array) => (users: number[], out: Float32Array[]) => {
    const dim = m.dim;
    const uv = m.userVectors(users.map((u) => sequenceInput(sequences[u]!, config.historyLength)));
    const nItems = vectors.length / dim;
    users.forEach((_, n) => {
      const row = out[n]!;
      for (let i = 0; i < nItems; i++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += uv[n * dim + d]! * vectors[i * dim + d]!;
        row[i] = s;
      }
    });
  };

  return {
    name: 'twotower',
    fit(ctx: EvalContext) {
      const { data, split } = ctx;
      sequences = split.train.map((rows, u) => {
        const sorted = [...rows].sort((a, b) => data.ts[a]! - data.ts[b]! || a - b);
        return {
          user_id: data.users[u]!,
          locale: '',
          segment: '',
          items: sorted.map((r) => data.items[data.item[r]!]!),
          weights: sorted.map((r) => data.weight[r]!),
          ts: sorted.map((r) => data.ts[r]!),
        };
      });
      const result = trainTwoTower(
        { sequences, items: data.items.map((item_id) => ({ item_id, category: '', creator_id: '', has_product: false, price: 0 })), history: 'others' },
        {
          config,
          seed: ctx.seed,
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          // Early stopping on validation NDCG at the first k (RecBole stops on MRR@10).
          validate: (m, epoch) => {
            const ndcg = ctx.validate(scorer(m, m.itemVectors(data.items)))[`ndcg@${ctx.ks[0]}`] ?? 0;
            hooks.onValidate?.(epoch, ndcg);
            return ndcg;
          },
        },
      );
      model = result.model;
      itemVectors = model.itemVectors(data.items);
      info = { epochs: result.epochLosses.length, bestEpoch: result.bestEpoch, validNdcg10: result.bestScore, trainSeconds: result.seconds, losses: result.epochLosses.map((l) => +l.toFixed(4)) };
    },
    score(users, out) {
      if (!model) throw new Error('twotower: score before fit');
      scorer(model, itemVectors)(users, out);
    },
    info: () => info,
  };
}
