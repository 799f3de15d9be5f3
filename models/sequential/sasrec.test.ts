import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { popular } from '../eval/baselines.ts';
import { evaluateModels } from '../eval/evaluate.ts';
import { parseInteractions } from '../eval/interactions.ts';
import { sasRecRecommender } from '../eval/sequential-recommender.ts';
import { leaveOneOutSplit } from '../eval/split.ts';
import { Rng } from '../../core/rng.ts';
import { SequentialConfigSchema } from './config.ts';
import { SasRec } from './sasrec.ts';
import { fitSequential, trainingWindows } from './train.ts';

beforeAll(async () => {
  await initBackend();
});

const ITEMS = 30;
/** A planted order: after item i comes item (7i + 3) mod 30, a permutation, so every item is about equally popular. */
const next = (i: number) => (7 * i + 3) % ITEMS;

function plantedSequences(users: number, length: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['user_id\titem_id\ttimestamp'];
  for (let u = 0; u < users; u++) {
    let item = rng.int(ITEMS);
    for (let t = 0; t < length; t++) {
      lines.push(`u${u}\ti${item}\t${t}`);
      item = next(item);
    }
  }
  return lines.join('\n');
}

const SMALL = SequentialConfigSchema.parse({
  dim: 16,
  maxLen: 8,
  blocks: 1,
  dropout: 0,
  batchSize: 32,
  inBatchNegatives: 32,
  negatives: 16,
  epochs: 25,
  patience: 25,
  denseLearningRate: 0.01,
  sparseLearningRate: 0.1,
});

describe('sequence model', () => {
  it('learns a planted next-item order that a popularity model cannot', async () => {
    const data = parseInteractions(plantedSequences(150, 7, 3));
    const split = leaveOneOutSplit(data);
    const [pop, seq] = await evaluateModels(data, split, 'loo', [popular(), sasRecRecommender(SMALL)], [1], 7);
    expect(pop!.test['hit@1']).toBeLessThan(0.2);
    expect(seq!.test['hit@1']).toBeGreaterThan(0.8);
  });

  it('cuts long sequences into windows so every event after the first is a target once', () => {
    const seq = Array.from({ length: 12 }, (_, t) => ({ item_id: `i${t}`, kind: '', watchRatio: null, ts: t }));
    const windows = trainingWindows([seq, seq.slice(0, 1)], 4);
    expect(windows.map((w) => w.map((e) => e.item_id).join(','))).toEqual(['i7,i8,i9,i10,i11', 'i3,i4,i5,i6,i7', 'i0,i1,i2,i3']);
    expect(windows.reduce((n, w) => n + w.length - 1, 0)).toBe(11);
  });

  it('stops once validation has not improved for `patience` epochs and returns the best epoch', () => {
    const seqs = Array.from({ length: 40 }, (_, u) => Array.from({ length: 6 }, (_, t) => ({ item_id: `i${next(u + t) % ITEMS}`, kind: '', watchRatio: null, ts: t })));
    const scores = [0.1, 0.3, 0.2, 0.25, 0.5];
    const encoded: number[][] = [];
    const result = fitSequential(seqs, {
      config: { ...SMALL, epochs: 5, patience: 2 },
      seed: 3,
      validate: (model, epoch) => {
        encoded.push([...model.encode(seqs.slice(0, 2))]);
        return scores[epoch - 1];
      },
    });
    // Epochs 3 and 4 do not beat epoch 2: training stops there, with epoch 2's weights and rows.
    expect(result.epochLosses).toHaveLength(4);
    expect(result).toMatchObject({ bestEpoch: 2, bestScore: 0.3 });
    expect([...result.model.encode(seqs.slice(0, 2))]).toEqual(encoded[1]);
    expect(encoded[3]).not.toEqual(encoded[1]);
  });

  it('encodes a user from the last maxLen events and restores from its state', () => {
    const model = new SasRec(SMALL, 1);
    const events = Array.from({ length: 20 }, (_, t) => ({ item_id: `i${t % ITEMS}`, kind: t % 2 ? 'like' : 'play', watchRatio: t / 20, ts: t * 60 }));
    model.observe([events]);
    model.trainStep({ inputs: [events.slice(0, -1)], targets: [events.slice(1).map((e) => e.item_id)] });
    const [full, tail] = [model.encode([events]), model.encode([events.slice(-SMALL.maxLen)])];
    expect([...full]).toEqual([...tail]);
    expect([...model.encode([events.slice(-3)])]).not.toEqual([...full]);
    const copy = new SasRec(SMALL, 1, model.state());
    expect([...copy.encode([events])].map((v) => +v.toFixed(5))).toEqual([...full].map((v) => +v.toFixed(5)));
  });
});
