import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { RetrievalConfigSchema } from '../../config/sections/models.ts';
import { Rng } from '../../core/rng.ts';
import { loadTwoTower, saveTwoTower } from './persist.ts';
import { historyAt, trainTwoTower, type Sequence } from './train.ts';
import { DEFAULT_ROW } from '../sparse/table.ts';
import { batchBias, TwoTower, type UserInput } from './two-tower.ts';

const small = RetrievalConfigSchema.parse({ dim: 8, hidden: 16, sideDim: 4, batchSize: 32, historyLength: 10, epochs: 6, sparseLearningRate: 0.1, denseLearningRate: 0.01 });
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

/** Two taste groups: even users engage with items a0..a9, odd users with b0..b9. */
function plantedSequences(users: number, perUser: number, seed: number): Sequence[] {
  const rng = new Rng(seed);
  return Array.from({ length: users }, (_, u) => {
    const group = u % 2 ? 'b' : 'a';
    const items = Array.from({ length: perUser }, () => `${group}${rng.int(10)}`);
    return { user_id: `u${u}`, locale: 'en', segment: 's', items, weights: items.map(() => 1), ts: items.map((_, k) => k) };
  });
}
const catalog = [...'ab'].flatMap((g) => Array.from({ length: 10 }, (_, i) => ({ item_id: `${g}${i}`, category: '', creator_id: '', has_product: false, price: 0 })));

describe('two-tower retrieval', () => {
  beforeAll(async () => {
    await initBackend();
  });
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a copy that applies the trained copy’s updates serves the same vectors, new and freed rows included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'two-tower-update-'));
    dirs.push(dir);
    const model = new TwoTower(small, 3);
    model.setItems(catalog);
    saveTwoTower(model, dir);
    const trained = loadTwoTower(dir);
    const served = loadTwoTower(dir);
    trained.trackChanges();
    const probe: UserInput[] = [
      { locale: 'en', segment: 's', history: [{ item_id: 'a1', weight: 1 }] },
      { locale: 'zh', segment: '', history: [{ item_id: 'new-1', weight: 2 }] },
    ];
    const ids = ['a1', 'b3', 'new-1'];
    const before = Array.from(served.userVectors(probe));
    for (let step = 0; step < 5; step++) {
      const items = ['a1', 'b3', 'new-1', `a${step + 5}`];
      const users = items.map((_, i) => ({ locale: i % 2 ? 'zh' : 'en', segment: 's', history: [{ item_id: items[(i + 1) % items.length]!, weight: 1 }] }));
      trained.observe(users, items, step);
      trained.trainStep({ users, items, weights: Float32Array.from(items, () => 1) });
      served.applyUpdate(trained.takeUpdate());
    }
    expect(served.tables.item.has('new-1')).toBe(true);
    expect(Array.from(served.userVectors(probe))).toEqual(Array.from(trained.userVectors(probe)));
    expect(Array.from(served.itemVectors(ids))).toEqual(Array.from(trained.itemVectors(ids)));
    expect(Array.from(served.userVectors(probe))).not.toEqual(before);
    // Rows freed by expiry (a5 was last seen at step 0) are freed on the copy too.
    expect(trained.expire(1).item).toBe(1);
    served.applyUpdate(trained.takeUpdate());
    expect(served.tables.item.has('a5')).toBe(false);
    expect(served.tables.item.row('a5')).toBe(DEFAULT_ROW);
    expect(served.tables.item.has('new-1')).toBe(true);
  });

  it('logQ bias subtracts log q per column and masks repeats of the row positive', () => {
    const q: Record<string, number> = { x: 0.5, y: 0.1 };
    const bias = batchBias(['x', 'y', 'x'], (id) => q[id]!, 1);
    expect(bias[0 * 3 + 0]).toBeCloseTo(-Math.log(0.5));
    expect(bias[0 * 3 + 1]).toBeCloseTo(-Math.log(0.1));
    expect(bias[0 * 3 + 2]).toBeLessThan(-1000);
    expect(bias[2 * 3 + 0]).toBeLessThan(-1000);
    expect(bias[1 * 3 + 1]).toBeCloseTo(-Math.log(0.1));
    expect(batchBias(['x', 'y'], (id) => q[id]!, 0).every((v) => v === 0)).toBe(true);
  });

  it('logQ correction undoes the in-batch popularity penalty', () => {
    // Positives are drawn by popularity alone (no user signal): a corrected model should rank
    // the popular item above the rare one; an uncorrected one under-scores it.
    const rng = new Rng(5);
    const pick = () => (rng.next() < 0.6 ? 'pop' : `rare${rng.int(20)}`);
    const sequences: Sequence[] = Array.from({ length: 40 }, (_, u) => {
      const items = Array.from({ length: 12 }, pick);
      return { user_id: `u${u}`, locale: '', segment: '', items, weights: items.map(() => 1), ts: items.map((_, k) => k) };
    });
    const gap = (logQ: number) => {
      const { model } = trainTwoTower({ sequences, items: [], history: 'others' }, { config: { ...small, logQ, epochs: 4 }, seed: 1 });
      const user = model.userVectors([{ locale: '', segment: '', history: [{ item_id: 'rare3', weight: 1 }] }]);
      const pop = dot(user, model.itemVector('pop')!);
      const rare = Array.from({ length: 20 }, (_, i) => dot(user, model.itemVector(`rare${i}`)!)).reduce((a, b) => a + b) / 20;
      model.dispose();
      return pop - rare;
    };
    const corrected = gap(1);
    const uncorrected = gap(0);
    expect(corrected).toBeGreaterThan(uncorrected);
  });

  it('training lowers the loss and ranks a planted preference higher, repeatably', () => {
    const sequences = plantedSequences(40, 12, 3);
    const train = () => trainTwoTower({ sequences, items: catalog, history: 'others' }, { config: small, seed: 9 });
    const r = train();
    expect(r.epochLosses[r.epochLosses.length - 1]!).toBeLessThan(r.epochLosses[0]!);
    const m = r.model;
    const userA = m.userVector({
      userId: 'new',
      locale: 'en',
      segment: 's',
      recent: [
        { item_id: 'a1', kind: 'complete', ts: 1 },
        { item_id: 'a4', kind: 'like', ts: 0 },
      ],
    });
    const userB = m.userVector({ userId: 'new2', locale: 'en', segment: 's', recent: [{ item_id: 'b2', kind: 'complete', ts: 1 }] });
    const mean = (u: Float32Array, g: string) => Array.from({ length: 10 }, (_, i) => dot(u, m.itemVector(`${g}${i}`)!)).reduce((a, b) => a + b) / 10;
    expect(mean(userA, 'a')).toBeGreaterThan(mean(userA, 'b') + 0.2);
    expect(mean(userB, 'b')).toBeGreaterThan(mean(userB, 'a') + 0.2);
    const norm = Math.hypot(...userA);
    expect(norm).toBeCloseTo(1, 4);

    // Same seed, same model.
    const again = train();
    expect(again.epochLosses).toEqual(r.epochLosses);

    // A saved model scores the same after loading.
    const dir = mkdtempSync(join(tmpdir(), 'twotower-'));
    dirs.push(dir);
    saveTwoTower(m, dir);
    const loaded = loadTwoTower(dir);
    expect([...loaded.itemVectors(['a1', 'b7'])]).toEqual([...m.itemVectors(['a1', 'b7'])]);
    [m, again.model, loaded].forEach((x) => x.dispose());
  });

  it('computes a few rows in plain JS as the tfjs towers do, also after training steps change the weights', () => {
    const m = new TwoTower(small, 5);
    m.setItems(catalog);
    const users = Array.from({ length: 12 }, (_, u) => ({
      locale: u % 2 ? 'en' : 'zh',
      segment: 's',
      history: [
        { item_id: `a${u % 10}`, weight: 1 },
        { item_id: `b${(u * 3) % 10}`, weight: 0.5 },
      ],
    }));
    const ids = catalog.map((c) => c.item_id);
    const expectSame = () => {
      const d = small.dim;
      const batch = m.userVectors(users); // above the host-path size: tfjs
      const one = m.userVectors(users.slice(3, 4)); // plain JS
      [...one].forEach((v, i) => expect(v).toBeCloseTo(batch[3 * d + i]!, 5));
      const items = m.itemVectors(ids);
      const few = m.itemVectors(ids.slice(0, 2));
      [...few].forEach((v, i) => expect(v).toBeCloseTo(items[i]!, 5));
      return one;
    };
    const before = expectSame();
    const batch = { users: users.slice(0, 8), items: ids.slice(0, 8), weights: new Float32Array(8).fill(1) };
    for (let step = 0; step < 5; step++) m.trainStep(batch);
    const after = expectSame();
    expect([...after]).not.toEqual([...before]);
    m.dispose();
  });

  it('trains on the targets of a time window only, then continues the same model on the rest', () => {
    // Planted sequences stamp positions 0..11: the first half is the early window.
    const sequences = plantedSequences(40, 12, 4);
    const early = trainTwoTower({ sequences, items: catalog, history: 'before' }, { config: small, seed: 3, epochs: 1, targets: { before: 6 } });
    expect(early.examples).toBe(40 * 6);
    const vectorBefore = early.model.itemVector('a1')!;
    const late = trainTwoTower({ sequences, items: catalog, history: 'before' }, { config: small, seed: 3, epochs: 1, model: early.model, targets: { from: 6 } });
    expect(late.model).toBe(early.model);
    expect(late.examples).toBe(40 * 6);
    expect([...late.model.itemVector('a1')!]).not.toEqual([...vectorBefore]);
    late.model.dispose();
  });

  it('history modes: before is causal, others skips only the target', () => {
    const seq: Sequence = { user_id: 'u', locale: '', segment: '', items: ['a', 'b', 'c', 'd'], weights: [1, 2, 3, 4], ts: [1, 2, 3, 4] };
    expect(historyAt(seq, 2, 'before', 10).map((h) => h.item_id)).toEqual(['b', 'a']);
    expect(historyAt(seq, 2, 'others', 10).map((h) => h.item_id)).toEqual(['d', 'b', 'a']);
    expect(historyAt(seq, 2, 'others', 2).map((h) => h.item_id)).toEqual(['d', 'b']);
  });

  it('gives unseen items a vector from side features only when the catalog knows them', () => {
    const m = new TwoTower(small, 1);
    expect(m.itemVector('ghost')).toBeUndefined();
    m.setItems([{ item_id: 'new', category: 'c', creator_id: 'k', has_product: true, price: 10 }]);
    expect(m.itemVector('new')).toHaveLength(8);
    m.dispose();
  });
});
