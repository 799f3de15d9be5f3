import { describe, expect, it } from 'vitest';
import { createPolicy } from '../simulate.ts';
import { httpPolicy } from '../policies/http.ts';
import { videoEntry } from '../policies/in-process.ts';
import type { FeedPolicy } from '../policies/types.ts';
import { generateWorld } from '../world/generate.ts';
import { CATEGORIES } from '../world/spec.ts';
import type { ScenarioContext } from './context.ts';
import { parseScenarioNames, runScenarios } from './run.ts';
import { SCENARIO_NAMES } from './thresholds.ts';
import { newItems } from './traffic.ts';

const world = generateWorld({ seed: 13, items: 4000, users: 400, nowSec: 1_750_000_000 });
const context = (target: FeedPolicy, trials = 4): ScenarioContext => ({ world, target, trials, seed: 7, runTag: 'scn-test', pageSize: 10, wallClock: false });

/** Serves only videos of the category the user last completed: what niche-binge asks of a feed. */
function followsLastLove(): FeedPolicy {
  const loved = new Map<string, string>();
  let next = 0;
  return {
    name: 'follows-last-love',
    async page(userId, count) {
      const want = loved.get(userId);
      const entries = [];
      for (let tries = 0; entries.length < count && tries < world.items.count; tries++) {
        const i = next++ % world.items.count;
        if (!want || CATEGORIES[world.items.category[i]!] === want) entries.push(videoEntry(world, i, entries.length, 'test', 0));
      }
      return { entries };
    },
    observe(events) {
      for (const e of events) if (e.kind === 'complete' && e.item_id) loved.set(e.user_id, CATEGORIES[world.items.category[Number(e.item_id.slice(1))]!]!);
    },
  };
}

describe('scenarios', () => {
  it('give the same figures for the same seed, against each in-process policy', async () => {
    for (const name of ['random', 'popular', 'oracle']) {
      const run = async () => (await runScenarios(SCENARIO_NAMES, context(await createPolicy(name, world, { seed: 7, warmupDays: 1 }), 2))).map(({ elapsed_s: _, ...r }) => r);
      const first = await run();
      expect(first.map((r) => r.scenario)).toEqual(SCENARIO_NAMES);
      expect(await run(), name).toEqual(first);
    }
  });

  it('fail random on niche-binge and cold-start, and pass a feed that follows what was loved', async () => {
    const random = await runScenarios(['niche-binge', 'cold-start'], context(await createPolicy('random', world, { seed: 7 })));
    expect(random.map((r) => r.pass)).toEqual([false, false]);
    expect(random[0]!.value).toBeLessThan(0.15);
    const [niche] = await runScenarios(['niche-binge'], context(followsLastLove()));
    expect(niche!.pass).toBe(true);
    expect(niche!.value).toBe(1);
  });

  it('report new-item as failed, with the reason, where there is no publish API', async () => {
    const [inProcess] = await runScenarios(['new-item'], context(await createPolicy('random', world, { seed: 7 })));
    expect(inProcess).toMatchObject({ pass: false, value: null, reason: 'policy random has no publish API' });
    const engine = httpPolicy({ url: 'http://feed.test', apiKey: 'k', fetch: async () => Response.json({ error: { code: 'not_found', message: 'no route' } }, { status: 404 }) });
    const [http] = await runScenarios(['new-item'], context(engine));
    expect(http).toMatchObject({ pass: false, value: null, reason: 'engine has no publish API (POST /v1/items 404)' });
  });

  it('judges new-item from the impressions under traffic: good promoted past 50, bad stopped', async () => {
    const ctx = context(await createPolicy('random', world, { seed: 7 }));
    const { items } = newItems(ctx);
    const shows = (stopBadAt: number): FeedPolicy => {
      let pages = 0;
      return {
        ...ctx.target,
        publish: async () => ({ ok: true }),
        async page(userId, count, cursor, pageCtx) {
          const page = await ctx.target.page(userId, count - 2, cursor, pageCtx);
          const fresh = (k: number) => ({ ...videoEntry(world, 0, 0, 'fresh', 0), ...items[k]!, published_at: world.spec.nowSec });
          return { entries: [fresh(0), ...(pages++ < stopBadAt ? [fresh(1)] : []), ...page.entries] };
        },
      };
    };
    const [stopped] = await runScenarios(['new-item'], { ...ctx, target: shows(20) });
    expect(stopped!.details).toMatchObject({ good: 'promoted', bad: 'stopped', good_pool: 'not reported' });
    expect(stopped!.pass).toBe(true);
    // The window ran until the good video's first audience was full, then as many sessions again.
    const { sessions, sessions_after_first_audience: after } = stopped!.details as { sessions: number; sessions_after_first_audience: number };
    expect(after).toBeGreaterThan(0);
    expect(sessions).toBe(2 * after);
    const [never] = await runScenarios(['new-item'], { ...ctx, target: shows(Infinity) });
    expect(never!.details).toMatchObject({ bad: 'not stopped' });
    expect(never!.pass).toBe(false);
    // An engine that reports the pool standing: its account goes into the details.
    const standing: FeedPolicy['poolStanding'] = async (id) =>
      id === items[0]!.item_id ? { tier: 'pool-2', stopped: null } : { tier: null, stopped: 'audience of first-audience: watch ratio 0.10 < 0.5' };
    const [told] = await runScenarios(['new-item'], { ...ctx, target: { ...shows(20), poolStanding: standing } });
    expect(told!.details).toMatchObject({ good_pool: 'pool-2', bad_pool: 'stopped: audience of first-audience: watch ratio 0.10 < 0.5' });
  });

  it('judges exploration-spread on the entries marked exploration, in every window of 100 of them', async () => {
    const ctx = context(await createPolicy('random', world, { seed: 7 }));
    // Each page: world video 1 in an ordinary slot (not counted), then one exploration slot rotating over `items` videos.
    const rotating = (items: number): FeedPolicy => {
      let k = 0;
      return {
        ...ctx.target,
        async page(userId, count, cursor, pageCtx) {
          const page = await ctx.target.page(userId, count - 2, cursor, pageCtx);
          const explored = { ...videoEntry(world, 2 + (k++ % items), 1, 'fresh', 0), exploration: true };
          return { ...page, entries: [videoEntry(world, 1, 0, 'ann', 0), explored, ...page.entries] };
        },
      };
    };
    const [spread] = await runScenarios(['exploration-spread'], { ...ctx, target: rotating(10) });
    expect(spread).toMatchObject({ value: 0.1, pass: true });
    // Nine in rotation: one of them takes 12 of some 100 consecutive slots.
    const [narrow] = await runScenarios(['exploration-spread'], { ...ctx, target: rotating(9) });
    expect(narrow).toMatchObject({ value: 0.12, pass: false });
  });

  it('reject unknown scenario names with the list, and zero trials', async () => {
    expect(parseScenarioNames('all')).toEqual(SCENARIO_NAMES);
    expect(() => parseScenarioNames('drift,nope')).toThrow(/unknown scenario nope; choose from all, niche-binge/);
    await expect(runScenarios(['hide'], context(await createPolicy('random', world, { seed: 7 }), 0))).rejects.toThrow(/trials must be a positive integer \(got 0\)/);
  });
});
