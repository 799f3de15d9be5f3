import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tfjs as tf } from '../backend.ts';
import { Mlp } from '../dense.ts';
import { DEFAULT_ROW, SparseTable } from './table.ts';

const opts = { dim: 4, minCount: 1, learningRate: 0.1, initStd: 0.1, seed: 7 };

describe('SparseTable', () => {
  it('gives every id its own row, without collisions, and grows past its initial capacity', () => {
    const t = new SparseTable(opts);
    const rows = new Set<number>();
    for (let i = 0; i < 500; i++) rows.add(t.observe(`id${i}`, 0));
    expect(rows.size).toBe(500);
    expect(rows.has(DEFAULT_ROW)).toBe(false);
    expect(t.size).toBe(501);
    expect(t.row('id123')).toBe(t.observe('id123', 1));
    expect(t.row('never-seen')).toBe(DEFAULT_ROW);
  });

  it('keeps ids on the shared default row until they reach the minimum count', () => {
    const t = new SparseTable({ ...opts, minCount: 3 });
    expect(t.observe('a', 1)).toBe(DEFAULT_ROW);
    expect(t.observe('a', 2)).toBe(DEFAULT_ROW);
    expect(t.has('a')).toBe(false);
    const row = t.observe('a', 3);
    expect(row).not.toBe(DEFAULT_ROW);
    expect(t.row('a')).toBe(row);
    expect(t.observe('b', 3, 3)).not.toBe(DEFAULT_ROW);
  });

  it('expires rows unseen since a time and reuses them for new ids', () => {
    const t = new SparseTable(opts);
    const old = t.observe('old', 100);
    t.observe('fresh', 100);
    t.observe('fresh', 500);
    expect(t.expire(200)).toEqual(['old']);
    expect(t.has('old')).toBe(false);
    expect(t.has('fresh')).toBe(true);
    expect(t.observe('newcomer', 600)).toBe(old);
    expect(t.row('old')).toBe(DEFAULT_ROW);
  });

  it('applies Adagrad only to touched rows, summing duplicate gradients', () => {
    const t = new SparseTable({ ...opts, initialAccumulator: 0.1 });
    const a = t.observe('a', 0);
    const b = t.observe('b', 0);
    const before = { a: [...t.vector(a)], b: [...t.vector(b)] };
    t.accumulate(a, [1, 0, -2, 0.5]);
    t.accumulate(a, [1, 0, 0, 0.5]);
    expect(t.step()).toBe(1);
    const g = [2, 0, -2, 1];
    g.forEach((gd, d) => {
      const expected = before.a[d]! - (0.1 * gd) / Math.sqrt(0.1 + gd * gd);
      expect(t.vector(a)[d]).toBeCloseTo(expected, 6);
    });
    expect([...t.vector(b)]).toEqual(before.b);
    // The accumulator remembers: a second identical gradient moves the row less.
    const mid = t.vector(a)[0]!;
    t.accumulate(a, [2, 0, 0, 0]);
    t.step();
    expect(Math.abs(t.vector(a)[0]! - mid)).toBeLessThan(Math.abs(mid - before.a[0]!));
  });

  it('survives a state round trip', () => {
    const t = new SparseTable({ ...opts, minCount: 2 });
    t.observe('x', 1, 2);
    t.observe('p', 1);
    t.observe('y', 1, 2);
    t.expire(0.5);
    const copy = SparseTable.fromState(t.state());
    expect([...copy.vector(copy.row('x'))]).toEqual([...t.vector(t.row('x'))]);
    expect(copy.observe('p', 2)).not.toBe(DEFAULT_ROW);
  });
});

describe('gradient through tfjs into the sparse rows', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('matches a finite difference on a tiny model', () => {
    const t = new SparseTable({ dim: 3, minCount: 1, learningRate: 0.05, initStd: 0.5, seed: 3 });
    const ids = ['a', 'b', 'a'];
    ids.forEach((id) => t.observe(id, 0));
    const mlp = new Mlp(
      'gradcheck',
      3,
      [
        { units: 4, activation: 'linear' },
        { units: 1, activation: 'linear' },
      ],
      11,
    );
    const target = tf.tensor2d([[1], [-1], [0.5]]);
    const gather = () => {
      const x = new Float32Array(ids.length * 3);
      ids.forEach((id, i) => x.set(t.vector(t.row(id)), i * 3));
      return x;
    };
    const loss = (x: tf.Tensor) => tf.mean(tf.square(tf.sub(mlp.apply(x), target))) as tf.Scalar;
    const lossAt = () => tf.tidy(() => loss(tf.tensor2d(gather(), [3, 3])).dataSync()[0]!);

    // Analytic: gradient w.r.t. the gathered inputs, scattered back to rows ('a' appears twice).
    const grad = tf.tidy(
      () =>
        tf
          .grad(loss)(tf.tensor2d(gather(), [3, 3]))
          .dataSync() as Float32Array,
    );
    const rowGrad = new Map<string, number[]>();
    ids.forEach((id, i) => {
      const g = rowGrad.get(id) ?? [0, 0, 0];
      for (let d = 0; d < 3; d++) g[d]! += grad[i * 3 + d]!;
      rowGrad.set(id, g);
    });

    const eps = 1e-2;
    for (const id of ['a', 'b']) {
      for (let d = 0; d < 3; d++) {
        const v = t.vector(t.row(id));
        const orig = v[d]!;
        v[d] = orig + eps;
        const up = lossAt();
        v[d] = orig - eps;
        const down = lossAt();
        v[d] = orig;
        expect(rowGrad.get(id)![d]!).toBeCloseTo((up - down) / (2 * eps), 2);
      }
    }

    // And the sparse optimizer, fed those gradients, lowers the loss.
    const before = lossAt();
    for (let s = 0; s < 20; s++) {
      const g = tf.tidy(
        () =>
          tf
            .grad(loss)(tf.tensor2d(gather(), [3, 3]))
            .dataSync() as Float32Array,
      );
      ids.forEach((id, i) => t.accumulate(t.row(id), g, 1, i * 3));
      t.step();
    }
    expect(lossAt()).toBeLessThan(before);
    mlp.dispose();
    target.dispose();
  });
});
