/**
 * Dot product of `v` with `block[at .. at + v.length)`. Four accumulators: a single running sum
 * waits on each add (~4 cycles), so 64 dims take about twice as long.
 */
export function dotAt(block: Float32Array, at: number, v: Float32Array): number {
  const n = v.length;
  const n4 = n - (n % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let d = 0; d < n4; d += 4) {
    s0 += block[at + d]! * v[d]!;
    s1 += block[at + d + 1]! * v[d + 1]!;
    s2 += block[at + d + 2]! * v[d + 2]!;
    s3 += block[at + d + 3]! * v[d + 3]!;
  }
  for (let d = n4; d < n; d++) s0 += block[at + d]! * v[d]!;
  return s0 + s1 + s2 + s3;
}
