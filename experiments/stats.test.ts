import { Registry, Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { assignArm } from './assign.ts';
import { teamDraft } from './interleave.ts';
import { armLatencies } from './latency.ts';
import { ARM_LATENCY_METRIC } from './router.ts';
import { compare, normalCdf, normalQuantile, ratioEstimate, type RatioSums } from './stats.ts';
import { Rng } from '../core/rng.ts';

function sums(xs: number[], ys: number[]): RatioSums {
  const s: RatioSums = { n: xs.length, sx: 0, sy: 0, sxx: 0, syy: 0, sxy: 0 };
  xs.forEach((x, i) => {
    const y = ys[i]!;
    s.sx += x;
    s.sy += y;
    s.sxx += x * x;
    s.syy += y * y;
    s.sxy += x * y;
  });
  return s;
}

describe('statistics', () => {
  it('has the normal quantiles and CDF', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 5);
  });

  it('reduces the delta method to the standard error of a mean when every denominator is 1', () => {
    const xs = [3, 5, 1, 8, 2, 9, 4, 4];
    const est = ratioEstimate(
      sums(
        xs,
        xs.map(() => 1),
      ),
    );
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
    expect(est.value).toBeCloseTo(mean, 12);
    expect(est.se).toBeCloseTo(sd / Math.sqrt(xs.length), 12);
  });

  it('agrees with a per-user bootstrap of a ratio metric', () => {
    const rand = new Rng(11).next;
    const ys = Array.from({ length: 400 }, () => 1 + Math.floor(rand() * 20));
    const xs = ys.map((y) => Math.round(y * (0.2 + 0.3 * rand())));
    const est = ratioEstimate(sums(xs, ys));
    const boots: number[] = [];
    for (let b = 0; b < 1000; b++) {
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < xs.length; i++) {
        const j = Math.floor(rand() * xs.length);
        sx += xs[j]!;
        sy += ys[j]!;
      }
      boots.push(sx / sy);
    }
    const m = boots.reduce((a, b) => a + b, 0) / boots.length;
    const sd = Math.sqrt(boots.reduce((a, v) => a + (v - m) ** 2, 0) / (boots.length - 1));
    expect(est.se / sd).toBeGreaterThan(0.85);
    expect(est.se / sd).toBeLessThan(1.15);
  });

  it('keeps the false-positive rate near 5% on A/A data with clustered users', () => {
    const rand = new Rng(5).next;
    // Users differ in taste (their own rate) and activity: events within a user are correlated.
    const arm = () => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (let u = 0; u < 300; u++) {
        const y = 1 + Math.floor(rand() * rand() * 60);
        const rate = rand() * 0.6;
        let x = 0;
        for (let i = 0; i < y; i++) if (rand() < rate) x++;
        xs.push(x);
        ys.push(y);
      }
      return ratioEstimate(sums(xs, ys));
    };
    let positives = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) if (compare(arm(), arm(), 0.95).significant) positives++;
    expect(positives / runs).toBeGreaterThan(0.02);
    expect(positives / runs).toBeLessThan(0.09);
  });

  it('calls a difference significant only when the interval excludes zero', () => {
    const c = { value: 10, se: 1 };
    expect(compare({ value: 13, se: 1 }, c, 0.95)).toMatchObject({ significant: true, diff: 3 });
    expect(compare({ value: 13, se: 1 }, c, 0.95).relative).toBeCloseTo(0.3, 12);
    const near = compare({ value: 11, se: 1 }, c, 0.95);
    expect(near.significant).toBe(false);
    expect(near.ci[0]).toBeLessThan(0);
    expect(near.p).toBeCloseTo(2 * (1 - normalCdf(1 / Math.SQRT2)), 6);
  });
});

describe('assignment', () => {
  const arms = [
    { name: 'a', share: 0.5 },
    { name: 'b', share: 0.3 },
    { name: 'c', share: 0.2 },
  ];

  it('is a pure function of experiment and user that follows the shares', () => {
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let u = 0; u < 20_000; u++) {
      const arm = assignArm('exp1', `user-${u}`, arms);
      expect(assignArm('exp1', `user-${u}`, arms)).toBe(arm);
      counts[arm]!++;
    }
    expect(counts.a! / 20_000).toBeCloseTo(0.5, 1);
    expect(counts.b! / 20_000).toBeCloseTo(0.3, 1);
    expect(counts.c! / 20_000).toBeCloseTo(0.2, 1);
  });

  it('reshuffles users between experiments (no user is always in the first arm)', () => {
    let same = 0;
    for (let u = 0; u < 2000; u++) if (assignArm('exp1', `u${u}`, arms) === assignArm('exp2', `u${u}`, arms)) same++;
    // Independent draws agree with probability 0.5² + 0.3² + 0.2² = 0.38.
    expect(same / 2000).toBeGreaterThan(0.33);
    expect(same / 2000).toBeLessThan(0.43);
  });
});

describe('team-draft interleaving', () => {
  const key = (s: string) => s;

  it('takes turns, never repeats an entry, and balances the teams', () => {
    const a = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
    const b = ['x2', 'y1', 'x1', 'y2', 'y3', 'y4'];
    for (let r = 0; r < 50; r++) {
      const page = teamDraft(a, b, 6, key, `req-${r}`);
      const ids = page.map((p) => p.entry);
      expect(new Set(ids).size).toBe(6);
      const teamA = page.filter((p) => p.team === 0).length;
      expect(Math.abs(teamA - (6 - teamA))).toBeLessThanOrEqual(1);
      // Each team's picks keep its own order.
      for (const [team, list] of [
        [0, a],
        [1, b],
      ] as const) {
        const picks = page.filter((p) => p.team === team).map((p) => list.indexOf(p.entry));
        expect(picks).toEqual([...picks].sort((x, y) => x - y));
      }
    }
  });

  it('lets either team go first, decided by the request id, and fills from one list when the other runs out', () => {
    const firsts = new Set(Array.from({ length: 40 }, (_, r) => teamDraft(['a'], ['b'], 2, key, `r${r}`)[0]!.team));
    expect(firsts).toEqual(new Set([0, 1]));
    expect(teamDraft(['a', 'b'], ['b'], 2, key, 'r')).toHaveLength(2);
    expect(teamDraft(['a', 'b', 'c'], [], 3, key, 'r').map((p) => p.team)).toEqual([0, 0, 0]);
  });
});

describe('p99 per arm from /metrics', () => {
  it('reads the histogram buckets of one experiment and interpolates the 99th percentile', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: ARM_LATENCY_METRIC, help: 'x', labelNames: ['experiment', 'arm'], buckets: [0.01, 0.02, 0.05, 0.1], registers: [registry] });
    for (let i = 0; i < 990; i++) h.observe({ experiment: 'e1', arm: 'fast' }, 0.005);
    for (let i = 0; i < 10; i++) h.observe({ experiment: 'e1', arm: 'fast' }, 0.07);
    for (let i = 0; i < 100; i++) h.observe({ experiment: 'e1', arm: 'slow' }, 0.09);
    h.observe({ experiment: 'other', arm: 'fast' }, 5);
    const lat = armLatencies(await registry.metrics(), 'e1');
    expect(lat.get('fast')).toEqual({ requests: 1000, p99_ms: 10 });
    expect(lat.get('slow')!.requests).toBe(100);
    expect(lat.get('slow')!.p99_ms!).toBeGreaterThan(50);
    expect(lat.get('slow')!.p99_ms!).toBeLessThanOrEqual(100);
  });
});
