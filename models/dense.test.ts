import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tfjs as tf } from './backend.ts';
import { Mlp } from './dense.ts';
import { Rng } from '../core/rng.ts';

describe('Mlp.applyRows (plain JS)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('matches the tfjs layers, and follows weights replaced by training', () => {
    const mlp = new Mlp(
      't',
      6,
      [
        { units: 5, activation: 'relu' },
        { units: 3, activation: 'linear' },
      ],
      3,
    );
    const rng = new Rng(1);
    const rows = 4;
    const x = Float32Array.from({ length: rows * 6 }, () => rng.next() * 2 - 1);
    const viaTf = () => tf.tidy(() => mlp.apply(tf.tensor2d(x, [rows, 6])).dataSync() as Float32Array);
    const expectClose = (a: Float32Array, b: Float32Array) => {
      expect(a.length).toBe(b.length);
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    };
    const first = mlp.applyRows(x, rows);
    expectClose(first, viaTf());
    expect(first.some((v) => v !== 0)).toBe(true);

    mlp.weights[2]!.assign(tf.fill([5, 3], 0.5));
    const second = mlp.applyRows(x, rows);
    expectClose(second, viaTf());
    expect([...second]).not.toEqual([...first]);

    expect(() => mlp.applyRows(x, rows + 1)).toThrow(/5 rows of 6 need 30 values, got 24/);
    mlp.dispose();
  });
});
