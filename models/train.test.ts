import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngagementEvent } from '../ingest/events.ts';
import { testConfig } from '../test/stack.ts';
import { combineObjectives } from './objectives.ts';
import { OnlineTrainer } from './online-trainer.ts';
import { listVersions, promote, readManifest, versionDir } from './registry.ts';
import { loadTwoTower } from './retrieval/persist.ts';
import { userInputOf } from './retrieval/two-tower.ts';
import { loadPromotedModels, type ServingModels } from './serving.ts';
import { syntheticWorld } from './testing/world.ts';
import { calibration, trainAll } from './train.ts';
import { buildTrainingData } from './training-data.ts';
import { OBJECTIVES } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'train-'));
const config = testConfig({
  dataDir: dir,
  models: {
    retrieval: { dim: 16, hidden: 16, sideDim: 4, batchSize: 64, epochs: 4, historyLength: 20, sparseLearningRate: 0.1, denseLearningRate: 0.01 },
    multitask: { hidden: [16, 8], epochs: 4, batchSize: 64, learningRate: 0.01 },
  },
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const world = syntheticWorld({ users: 24, items: 30, categories: 3, impressionsPerUser: 25, seed: 2 });
const data = () => buildTrainingData(world.events, world.catalog, 0.2);

describe('trainAll, serving and online training', () => {
  /** The version the first test promotes and loads; online training starts from it (a load starts a reader thread). */
  let served: ServingModels | undefined;

  it('trains both models, records the artifact, and serves the promoted version', async () => {
    const report = await trainAll(config, { data: data(), promote: true, seed: 5 });
    const m = readManifest(config, report.version);
    expect(m.backend).toMatch(/wasm|tensorflow|cpu/);
    expect(m.models.retrieval?.files).toContain('retrieval.bin');
    expect(m.models.ranker?.files).toContain('ranker.bin');
    expect(m.data_range.events).toBe(world.events.length);
    expect(Date.parse(m.data_range.cutoff!)).toBeGreaterThan(Date.parse(m.data_range.from!));
    const rm = report.metrics.retrieval as Record<string, number>;
    const km = report.metrics.ranker as Record<string, number>;
    expect(rm['recall@10']).toBeGreaterThan(rm['popular_recall@10']!);
    // The eval harness's definitions: MRR is cut at k, so it never exceeds recall at the same k.
    expect(
      Object.keys(rm)
        .filter((k) => k.includes('@'))
        .sort(),
    ).toEqual(['mrr@10', 'mrr@50', 'popular_recall@10', 'popular_recall@50', 'recall@10', 'recall@50']);
    for (const k of [10, 50]) expect(rm[`mrr@${k}`]).toBeLessThanOrEqual(rm[`recall@${k}`]!);
    expect(km.auc_like).toBeGreaterThan(0.6);
    // Calibration per head on the held-out slice: deciles cover every example.
    const calib = (report.metrics.ranker as { calibration: Record<string, { predicted: number; observed: number; n: number }[]> }).calibration;
    expect(Object.keys(calib)).toEqual([...OBJECTIVES]);
    expect(calib.like!.reduce((s, b) => s + b.n, 0)).toBe(km.examples);

    served = await loadPromotedModels(config);
    expect(served?.version).toBe(report.version);
    expect(served!.itemIds).toHaveLength(30);
    expect(served!.itemVectors).toHaveLength(30 * served!.retrieval.dim);
    const v0 = served!.itemVectors.subarray(0, served!.retrieval.dim);
    expect(Math.hypot(...v0)).toBeCloseTo(1, 4);
    // The ANN index and item vectors were computed at training time and stored with the version.
    expect(m.models.retrieval?.files).toEqual(expect.arrayContaining(['ann.index', 'item-vectors.f32']));
    expect(Array.from(served!.itemVectors)).toEqual(Array.from(served!.twoTower.itemVectors(served!.itemIds)));
    expect(served!.ann?.ids).toEqual(served!.itemIds);
    expect(served!.ann!.search(v0, 1)[0]![0]!.id).toBe(served!.itemIds[0]);
    // Serving rebuilds the model from the reader thread's columns, in slices: the same model as read directly.
    expect(served!.twoTower.state()).toEqual(loadTwoTower(versionDir(config, report.version)).state());

    // The multi-task model predicts a higher like probability for the user's own category.
    const test = data().multitask.test;
    const preds = served!.multitask.predict(
      test[0]!.user,
      test.map((e) => e.candidate),
    );
    for (const o of OBJECTIVES) expect(preds[o]).toHaveLength(test.length);
    const mine = test.map((e, i) => [e.candidate.category === world.taste(e.user.userId), preds.like[i]!] as const);
    const mean = (flag: boolean) => {
      const xs = mine.filter(([f]) => f === flag).map(([, p]) => p);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean(true)).toBeGreaterThan(mean(false));

    // A retrieval-only retrain inherits the ranker from the promoted version.
    const second = await trainAll(config, { data: data(), model: 'retrieval', epochs: 1 });
    expect(readManifest(config, second.version).models.ranker?.inherited_from).toBe(report.version);
    expect(() => promote(config, second.version)).not.toThrow();
    expect(listVersions(config)).toHaveLength(2);
  });

  it('with a ranker window, scores the ranker examples before retrieval has seen the window, then catches up', async () => {
    const windowed = buildTrainingData(world.events, world.catalog, 0.2, config.models.trainingData, 0, 0.3);
    const report = await trainAll(config, { data: windowed, seed: 5, epochs: 2 });
    const m = readManifest(config, report.version);
    expect(Date.parse(m.data_range.ranker_from!)).toBe(windowed.range.multitaskFrom);
    const inWindow = windowed.retrieval.train.reduce((n, s) => n + s.ts.filter((t) => t >= windowed.range.multitaskFrom!).length, 0);
    expect((report.metrics.retrieval as Record<string, number>).ranker_window_examples).toBe(inWindow);
    const auc = (report.metrics.ranker as { retrieval_score_auc_complete: { train: number; test: number } }).retrieval_score_auc_complete;
    for (const v of [auc.train, auc.test]) expect(v).toBeGreaterThan(0);
    // The saved model has learned the window since it scored the examples: its scores differ.
    const saved = loadTwoTower(versionDir(config, report.version));
    const [first] = windowed.multitask.train;
    const uv = saved.userVectors([userInputOf(first!.user)]);
    const iv = saved.itemVector(first!.candidate.item_id)!;
    expect(first!.candidate.retrieval_score).not.toBeCloseTo(
      uv.reduce((s, x, d) => s + x * iv[d]!, 0),
      4,
    );
    saved.dispose();
  });

  it('is repeatable with a fixed seed', async () => {
    const a = await trainAll(config, { data: data(), seed: 11, epochs: 2 });
    const b = await trainAll(config, { data: data(), seed: 11, epochs: 2 });
    // Everything but wall time is identical.
    const strip = (m: Record<string, unknown>) => JSON.parse(JSON.stringify(m, (k, v) => (k === 'train_seconds' ? undefined : v)));
    expect(strip(b.metrics)).toEqual(strip(a.metrics));
    expect((a.metrics.retrieval as { loss: number[] }).loss).toHaveLength(2);
  });

  it('online training gives a brand-new item a vector after its first engagements', () => {
    if (!served) throw new Error('needs the version the first test loads');
    const { twoTower, retrieval } = served;
    const trainer = new OnlineTrainer(twoTower, config, {
      batchSize: 8,
      indexed: new Set(served.itemIds),
      itemFeatures: (id) => (id === 'fresh' ? { item_id: 'fresh', category: 'c0', creator_id: 'k1', has_product: false, price: 0 } : undefined),
    });
    const announced: string[] = [];
    trainer.onItemVectors((ids, vectors) => {
      expect(vectors).toHaveLength(ids.length * retrieval.dim);
      announced.push(...ids);
    });
    const now = Date.now();
    const events: EngagementEvent[] = Array.from({ length: 8 }, (_, i) => ({
      schema_version: 1,
      event_id: `e${i}`,
      kind: 'complete',
      user_id: `u${i}`,
      item_id: i % 2 ? 'fresh' : `i${i}`,
      ts: now + i,
    }));
    trainer.apply(events.slice(0, 5));
    expect(trainer.steps).toBe(0);
    trainer.apply(events.slice(5));
    expect(trainer.steps).toBe(1);
    expect(announced).toEqual(['fresh']);
    expect(twoTower.itemVector('fresh')).toHaveLength(retrieval.dim);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
  });
});

describe('calibration', () => {
  it('bins predictions into deciles of equal size, predicted mean against the observed rate', () => {
    const pred = Array.from({ length: 100 }, (_, i) => i / 100);
    // Observed positives only in the top half: the upper deciles read 100%, the lower 0%.
    const labels = pred.map((p) => (p >= 0.5 ? 1 : 0));
    const bins = calibration([...pred].reverse(), [...labels].reverse());
    expect(bins).toHaveLength(10);
    expect(bins.every((b) => b.n === 10)).toBe(true);
    expect(bins[0]).toEqual({ predicted: expect.closeTo(0.045, 6), observed: 0, n: 10 });
    expect(bins[9]).toEqual({ predicted: expect.closeTo(0.945, 6), observed: 1, n: 10 });
  });
});

describe('combineObjectives', () => {
  it('weights each objective and adds the GMV term for priced items', () => {
    const preds = { complete: [0.5, 0.5], watch: [0.2, 0.2], like: [0.1, 0.1], share: [0, 0], follow: [0.1, 0.1], purchase: [0.1, 0.1] };
    const w = { complete: 1, watch: 2, like: 3, share: 4, follow: 0, purchase: 5, watchTime: 0, gmv: 0.01 };
    const s = combineObjectives(preds, w, { price: [0, 100] });
    expect(s[0]).toBeCloseTo(0.5 + 0.4 + 0.3 + 0 + 0.5);
    expect(s[1]).toBeCloseTo(1.7 + 0.01 * 0.1 * 100);
  });

  it('adds watch time as P(watch) x log2(1 + duration / 15 s): longer is worth more only while the predicted ratio holds', () => {
    const none = { complete: 0, watch: 0, like: 0, share: 0, follow: 0, purchase: 0, watchTime: 1, gmv: 0 };
    const preds = { complete: [0, 0, 0, 0], watch: [0.5, 0.5, 0.5, 0.1], like: [0, 0, 0, 0], share: [0, 0, 0, 0], follow: [0, 0, 0, 0], purchase: [0, 0, 0, 0] };
    const s = combineObjectives(preds, none, { durationMs: [15_000, 45_000, 0, 45_000] });
    expect(s[0]).toBeCloseTo(0.5);
    expect(s[1]).toBeCloseTo(0.5 * 2);
    expect(s[2]).toBe(0);
    // Three times as long but a fifth of the predicted ratio: worth less than the short one.
    expect(s[3]).toBeLessThan(s[0]!);
    // Without durations (slots) every entry counts one unit.
    expect(combineObjectives(preds, none)[1]).toBeCloseTo(0.5);
  });
});
