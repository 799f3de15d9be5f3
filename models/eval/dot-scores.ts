import { tfjs as tf } from '../backend.ts';

/**
 * out[n][i] = user vector n · item vector i, for row-major `users` (rows x dim) and `items`
 * (nItems x dim), as one tfjs matMul: on the wasm backend about ten times a plain JS loop,
 * which matters at 30k users x 25k items (transposed first: wasm's matMul with transpose flags
 * is much slower, see models/dense.ts).
 */
export function dotScores(users: Float32Array, items: Float32Array, dim: number, out: Float32Array[]): void {
  const rows = users.length / dim;
  const nItems = items.length / dim;
  const t = tf.tidy(() => tf.matMul(tf.tensor2d(users, [rows, dim]), tf.transpose(tf.tensor2d(items, [nItems, dim]))));
  const flat = t.dataSync() as Float32Array;
  t.dispose();
  for (let n = 0; n < rows; n++) out[n]!.set(flat.subarray(n * nItems, (n + 1) * nItems));
}
