import { describe, expect, it } from 'vitest';
import { formatTable } from '../core/table.ts';
import { gini, policyTables } from './metrics.ts';
import { comparePolicies, createPolicy, simulate } from './simulate.ts';
import { generateWorld } from './world/generate.ts';

describe('gini', () => {
  it('is 0 for equal shares and (n-1)/n when one creator gets everything', () => {
    expect(gini([5, 5, 5, 5])).toBeCloseTo(0, 10);
    expect(gini([0, 0, 0, 8])).toBeCloseTo(0.75, 10);
    expect(gini([])).toBe(0);
  });
});

describe('closed loop', () => {
  const world = generateWorld({ seed: 21, items: 3000, users: 600, nowSec: 1_750_000_000 });
  const opts = { users: 150, sessions: 4, seed: 21, runTag: 'loop' };

  it('ranks the baselines: oracle clearly beats popular, popular beats random on watch time', async () => {
    const [random, popular, oracle] = await comparePolicies(world, ['random', 'popular', 'oracle'], opts);
    expect(random!.sessions).toBe(600);
    expect(popular!.watchSecPerSession).toBeGreaterThan(1.1 * random!.watchSecPerSession);
    expect(oracle!.watchSecPerSession).toBeGreaterThan(2 * popular!.watchSecPerSession);
    expect(oracle!.completionRate).toBeGreaterThan(random!.completionRate);
    // Popularity concentrates exposure; random spreads it over the catalog.
    expect(popular!.creatorGini).toBeGreaterThan(random!.creatorGini);
    expect(random!.coverage).toBeGreaterThan(popular!.coverage);
    const [video, commerce] = policyTables([random!, popular!, oracle!]).map(formatTable);
    expect(video).toMatch(/^video metrics.*\nmetric\s+random\s+popular\s+oracle/);
    expect(video).toContain('video watch s / session');
    expect(commerce).toContain('purchases / 1k entries');
  });

  it('is reproducible for a seed', async () => {
    const run = async () => {
      const { elapsedSec: _, ...rest } = await simulate(world, await createPolicy('random', world, { seed: 5 }), { ...opts, users: 40, sessions: 2 });
      return rest;
    };
    expect(await run()).toEqual(await run());
  });

  it('rejects bad input with clear messages', async () => {
    await expect(createPolicy('nope', world, { seed: 1 })).rejects.toThrow(/unknown policy "nope"; choose from random, popular, oracle, http/);
    await expect(createPolicy('http', world, { seed: 1 })).rejects.toThrow(/needs --url and --api-key/);
    await expect(simulate(world, await createPolicy('random', world, { seed: 1 }), { ...opts, users: 0 })).rejects.toThrow(/users must be a positive integer/);
  });
});
