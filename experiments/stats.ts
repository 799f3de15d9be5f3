/** Per-arm sums over users of a ratio metric's numerator x and denominator y (what ClickHouse returns). */
export interface RatioSums {
  n: number;
  sx: number;
  sy: number;
  sxx: number;
  syy: number;
  sxy: number;
}

export interface Estimate {
  value: number;
  /** Standard error (delta method); NaN without enough users or denominator. */
  se: number;
}

/**
 * Σx/Σy with its delta-method standard error over users (Deng et al., 2018): users are the
 * unit of randomisation, so their events are correlated and a per-event binomial would be too narrow.
 */
export function ratioEstimate(s: RatioSums): Estimate {
  if (s.n < 2 || s.sy <= 0) return { value: s.sy > 0 ? s.sx / s.sy : NaN, se: NaN };
  const mx = s.sx / s.n;
  const my = s.sy / s.n;
  const r = mx / my;
  const vx = (s.sxx - s.n * mx * mx) / (s.n - 1);
  const vy = (s.syy - s.n * my * my) / (s.n - 1);
  const cxy = (s.sxy - s.n * mx * my) / (s.n - 1);
  const v = (vx - 2 * r * cxy + r * r * vy) / (s.n * my * my);
  return { value: r, se: Math.sqrt(Math.max(0, v)) };
}

export interface Comparison {
  /** treatment − control. */
  diff: number;
  /** diff / control. */
  relative: number;
  ci: [number, number];
  /** Two-sided p-value of diff = 0 (normal approximation). */
  p: number;
  significant: boolean;
}

/** Difference of two independent estimates (the arms hold different users) with a normal interval. */
export function compare(treatment: Estimate, control: Estimate, confidence: number, nullDiff = 0): Comparison {
  const diff = treatment.value - control.value;
  const se = Math.sqrt(treatment.se ** 2 + control.se ** 2);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = se > 0 ? 2 * (1 - normalCdf(Math.abs(diff - nullDiff) / se)) : NaN;
  return { diff, relative: diff / control.value, ci: [diff - z * se, diff + z * se], p, significant: p < 1 - confidence };
}

/** Interval of one estimate. */
export function interval(e: Estimate, confidence: number): [number, number] {
  const z = normalQuantile(1 - (1 - confidence) / 2);
  return [e.value - z * e.se, e.value + z * e.se];
}

/** Φ(x), from erfc (W. J. Cody's rational approximation via Numerical Recipes' erfc, |error| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Φ⁻¹(p) by bisection on normalCdf (called a few times per report). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1 (got ${p})`);
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
