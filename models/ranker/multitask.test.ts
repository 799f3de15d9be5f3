import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tfjs as tf } from '../backend.ts';
import { RankerConfigSchema } from '../config.ts';
import { FEATURES } from '../features.ts';
import { Rng } from '../rng.ts';
import { OBJECTIVES } from '../types.ts';
import { MultiTaskRanker } from './multitask.ts';

describe('MultiTaskRanker inference', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('predicts with fused kernels exactly what the training graph computes', () => {
    const rng = new Rng(5);
    const width = FEATURES.length;
    const k = OBJECTIVES.length;
    const model = new MultiTaskRanker(RankerConfigSchema.parse({ hidden: [64, 32], batchSize: 64 }), 7);
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
