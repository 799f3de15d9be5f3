import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tfjs as tf } from '../backend.ts';
import { MultitaskConfigSchema } from '../../config/sections/models.ts';
import { FEATURES } from '../features.ts';
import { Rng } from '../../core/rng.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OBJECTIVES, type CandidateSignals, type UserContext } from '../types.ts';
import { affinityOf, userAffinity } from '../user-relation.ts';
import { auc, MultitaskMmoe, toMatrices, type MultitaskExample } from './multitask.ts';
import { loadMultitask, saveMultitask } from './persist.ts';

describe('MultitaskMmoe inference', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('predicts with fused kernels exactly what the training graph computes', () => {
    const rng = new Rng(5);
    const width = FEATURES.length;
    const k = OBJECTIVES.length;
    const model = new MultitaskMmoe(MultitaskConfigSchema.parse({ hidden: [64, 32], batchSize: 64 }), 7);
    const n = 300;
    const x = Float32Array.from({ length: n * width }, () => rng.next() * 3 - 1);
    const y = Float32Array.from({ length: n * k }, () => (rng.next() < 0.3 ? 1 : 0));
    // Trained a little, so biases and the feature scaling are not their initial values.
    model.fit(x, y, n, { epochs: 2 });
    expect(Array.from(model.mean).some((m) => Math.abs(m) > 0.1)).toBe(true);

    const preds = model.predictMatrix(x, n);
    const standardised = x.map((v, i) => (v - model.mean[i % width]!) / model.std[i % width]!);
    const ref = tf.tidy(() => tf.sigmoid(model.logits(tf.tensor2d(standardised, [n, width]))).dataSync() as Float32Array);
    let maxDiff = 0;
    let spread = 0;
    OBJECTIVES.forEach((o, j) => {
      expect(preds[o]).toHaveLength(n);
      for (let i = 0; i < n; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(preds[o][i]! - ref[i * k + j]!));
        spread = Math.max(spread, Math.abs(preds[o][i]! - preds[o][0]!));
      }
    });
    expect(maxDiff).toBeLessThan(1e-5);
    expect(spread).toBeGreaterThan(1e-3); // the rows really differ: not comparing constants
    model.dispose();
  });
});

describe('MultitaskMmoe learns the user–item relation', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('ranks a planted user–category affinity that a popularity ranker cannot see', () => {
    const rng = new Rng(11);
    const categories = ['pets', 'food', 'tech', 'dance', 'travel', 'beauty'];
    const now = 1_000_000_000;
    const itemCategory = (id: string) => categories[Number(id.slice(1)) % categories.length]!;
    const side = (id: string) => ({ category: itemCategory(id), creator: `c${id}` });
    const examples: MultitaskExample[] = [];
    for (let u = 0; u < 1500; u++) {
      const favourite = categories[u % categories.length]!;
      // Completed videos of the favourite category, plus one stray like elsewhere.
      const history = Array.from({ length: 4 }, () => `i${rng.int(50) * categories.length + categories.indexOf(favourite)}`);
      history.push(`i${rng.int(300)}`);
      const user: UserContext = { userId: `u${u}`, locale: 'en', segment: 'new', recent: history.map((item_id, k) => ({ item_id, kind: 'complete', ts: now - k * 60_000 })) };
      const affinity = userAffinity(user.recent, side, now);
      for (let c = 0; c < 4; c++) {
        const id = `i${rng.int(300)}`;
        const a = affinityOf(affinity, side(id));
        // Popularity says nothing here: every item's observed rates are drawn independently of the label.
        const rate = rng.next();
        const liked = itemCategory(id) === favourite ? rng.next() < 0.9 : rng.next() < 0.05;
        const candidate: CandidateSignals = {
          item_id: id,
          creator_id: `c${id}`,
          category: itemCategory(id),
          duration_ms: 15_000,
          age_hours: 24,
          has_product: false,
          price: 0,
          is_kol: false,
          creator_followers: 10,
          retrieval_score: 0,
          impressions: 100,
          completion_rate: rate,
          avg_watch_ratio: rate,
          like_rate: rate / 10,
          share_rate: 0,
          purchase_rate: 0,
          friends_engaged: 0,
          friends_purchased: 0,
          followed_creator: false,
          locale_match: true,
          affinity_category_session: a.category_session,
          affinity_category_long: a.category_long,
          affinity_creator_session: a.creator_session,
          affinity_creator_long: a.creator_long,
          attention_score: 0,
          attention_max: 0,
        };
        const y = liked ? 1 : 0;
        examples.push({ user, candidate, labels: { complete: y, watch: y, like: 0, share: 0, follow: 0, purchase: 0 } });
      }
    }
    const split = Math.floor(examples.length * 0.8);
    const model = new MultitaskMmoe(MultitaskConfigSchema.parse({ batchSize: 128 }), 3);
    const train = toMatrices(examples.slice(0, split));
    model.fit(train.x, train.y, train.n, { epochs: 4 });
    const test = examples.slice(split);
    const labels = test.map((e) => e.labels.complete);
    const learned = auc(
      test.map((e) => model.predict(e.user, [e.candidate]).complete[0]!),
      labels,
    )!;
    const popularity = auc(
      test.map((e) => e.candidate.completion_rate),
      labels,
    )!;
    expect(popularity).toBeLessThan(0.6);
    // The best possible AUC with these rates is about 0.88.
    expect(learned).toBeGreaterThan(0.8);
    model.dispose();
  });
});

describe('ranker artifacts', () => {
  it('refuses a shared-bottom (format 1) artifact with a message that says to retrain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ranker-'));
    writeFileSync(join(dir, 'ranker.json'), JSON.stringify({ config: { hidden: [64, 32] }, seed: 1, features: ['log_duration_s'], mean: [0], std: [1], layers: 0, arrays: [] }));
    expect(() => loadMultitask(dir)).toThrow(/format 1 predates this build's ranker \(format 3.*retrain with `feed train`/);
  });

  it('saves and loads the MMoE ranker with the same predictions', async () => {
    await initBackend();
    const rng = new Rng(2);
    const width = FEATURES.length;
    const model = new MultitaskMmoe(MultitaskConfigSchema.parse({}), 4);
    const n = 50;
    const x = Float32Array.from({ length: n * width }, () => rng.next());
    model.fit(
      x,
      Float32Array.from({ length: n * OBJECTIVES.length }, () => (rng.next() < 0.5 ? 1 : 0)),
      n,
      { epochs: 1 },
    );
    const dir = mkdtempSync(join(tmpdir(), 'ranker-'));
    saveMultitask(model, dir);
    const loaded = loadMultitask(dir);
    expect(Array.from(loaded.predictMatrix(x, n).follow)).toEqual(Array.from(model.predictMatrix(x, n).follow));
    model.dispose();
    loaded.dispose();
  });
});
