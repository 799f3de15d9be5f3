import type { Rng } from './rng.ts';

export interface ShareLimits {
  /** Largest expected share of the draws one weight may take. */
  maxOne: number;
  /** Largest expected share one group may take. */
  maxGroup: number;
  /** Share of draws that follow their weight's group; the rest land on groups by `background`. */
  onGroup: number;
  /** Share of off-group draws going to each group (sums to 1). */
  background: ArrayLike<number>;
}

/**
 * Scales heavy-tailed weights down (in place) until no single weight and no group of weights
 * expects more than its limit: capping one raises everyone else's share, so it repeats until
 * nothing moves. Relative order is kept, so the tail stays heavy below the caps.
 */
export function capShares(weights: Float64Array, groupOf: ArrayLike<number>, limits: ShareLimits): void {
  const groups = limits.background.length;
  const mass = new Float64Array(groups);
  for (let round = 0; round < 200; round++) {
    let moved = false;
    let total = 0;
    for (const w of weights) total += w;
    const one = limits.maxOne * total;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i]! > one * (1 + 1e-9)) {
        weights[i] = one;
        moved = true;
      }
    }
    mass.fill(0);
    total = 0;
    for (let i = 0; i < weights.length; i++) {
      mass[groupOf[i]!]! += weights[i]!;
      total += weights[i]!;
    }
    const factor = new Float64Array(groups).fill(1);
    for (let g = 0; g < groups; g++) {
      const share = limits.onGroup * (mass[g]! / total) + (1 - limits.onGroup) * limits.background[g]!;
      if (share > limits.maxGroup * (1 + 1e-9)) {
        // The mass this group may keep at the current total; that lowers the total, so the loop repeats (weights only shrink).
        const allowed = Math.max(0, (limits.maxGroup - (1 - limits.onGroup) * limits.background[g]!) / limits.onGroup) * total;
        factor[g] = allowed / mass[g]!;
        moved = true;
      }
    }
    for (let i = 0; i < weights.length; i++) weights[i]! *= factor[groupOf[i]!]!;
    if (!moved) return;
  }
}

/**
 * `n` draws split over the weights in exact proportion (largest remainder), in shuffled order:
 * the realised sizes are the expected ones, so a capped weight cannot overshoot by chance.
 */
export function allocate(weights: Float64Array, n: number, rng: Rng): Int32Array {
  let total = 0;
  for (const w of weights) total += w;
  const counts = new Int32Array(weights.length);
  const remainders: { i: number; r: number }[] = [];
  let given = 0;
  for (let i = 0; i < weights.length; i++) {
    const exact = (n * weights[i]!) / total;
    counts[i] = Math.floor(exact);
    given += counts[i]!;
    remainders.push({ i, r: exact - counts[i]! });
  }
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; given < n; k++, given++) counts[remainders[k % remainders.length]!.i]!++;
  const out = new Int32Array(n);
  let at = 0;
  for (let i = 0; i < counts.length; i++) out.fill(i, at, (at += counts[i]!));
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
