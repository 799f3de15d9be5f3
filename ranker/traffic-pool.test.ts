import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngagementEvent } from '../ingest/events.ts';
import { testConfig } from '../test/stack.ts';
import { catalogFromRows, event, makeWorld, testOnlineState } from './testing.ts';
import { TrafficPool } from './traffic-pool.ts';

const nowSec = Math.floor(Date.now() / 1000);

/** A world whose items are all inside the fresh window, newest first by row. */
function freshWorld(items: number, refreshMs: number, fullRefreshMs = 30_000) {
  const config = testConfig({ ranker: { trafficPool: { refreshMs, fullRefreshMs } } });
  const rows = makeWorld({ items, creators: 50, users: 5, nowSec });
  rows.items.forEach((it, i) => (it.published_at = nowSec - 60 - Math.floor(i / 10)));
  return { config, catalog: catalogFromRows(rows, config, nowSec) };
}

/** Impressions and skips enough to stop an item at its first audience. */
function skipEvents(itemId: string, n: number) {
  return Array.from({ length: n }, (_, k) => [event('impression', `x${k}`, { item_id: itemId }), event('skip', `x${k}`, { item_id: itemId })]).flat();
}

/** A first audience of 60 that played each impression and watched `fraction` of it, completing when it watched 90%. */
function audienceEvents(itemId: string, fraction: number) {
  return Array.from({ length: 60 }, (_, k) => [
    event('impression', `x${k}`, { item_id: itemId }),
    event('play', `x${k}`, { item_id: itemId, watch_ms: Math.round(fraction * 15_000), duration_ms: 15_000 }),
    ...(fraction >= 0.9 ? [event('complete', `x${k}`, { item_id: itemId })] : []),
  ]).flat();
}

describe('TrafficPool horse race', () => {
  // 40 videos through their first audience, watched 0.3 to 0.99 of the way: every one clears pool-2's fixed floors.
  const fractions = Array.from({ length: 40 }, (_, k) => 0.3 + (0.69 * k) / 39);
  const run = (topShare: number) => {
    const { catalog } = freshWorld(100, 1000);
    const config = testConfig({
      ranker: {
        trafficPool: {
          tiers: [
            { name: 'first-audience', maxImpressions: 50 },
            { name: 'pool-2', maxImpressions: 500, minWatchRatio: 0.2, topShare },
          ],
        },
      },
    });
    const online = testOnlineState();
    fractions.forEach((f, k) => online.apply(audienceEvents(`v${k}`, f)));
    const pool = new TrafficPool(config.ranker);
    // The first pass judges them in turn (its bar forms as it goes); the next compares each with all of them.
    pool.refresh(catalog, online);
    pool.refresh(catalog, online);
    return {
      again: () => pool.refresh(catalog, online),
      tierOf: (k: number) => pool.tierName(catalog.items.row(`v${k}`)),
      stopped: (k: number) => pool.stopped.get(catalog.items.row(`v${k}`)),
    };
  };

  it('promotes only the top share of the videos judged at the same tier, and says why the others stopped', () => {
    const { tierOf, stopped } = run(0.5);
    const promoted = fractions.map((_, k) => k).filter((k) => tierOf(k) === 'pool-2');
    expect(promoted).toEqual(Array.from({ length: 20 }, (_, k) => 20 + k));
    expect(stopped(0)).toMatch(/race score 0\.15 < 0\.\d\d, the top 50% of the last 40 judged/);
    expect(stopped(30)).toBeUndefined();
  });

  it('leaves promotion to the fixed thresholds with a top share of 1', () => {
    const { tierOf } = run(1);
    expect(fractions.every((_, k) => tierOf(k) === 'pool-2')).toBe(true);
  });

  it('judges each video once: refreshing again does not grow the race or move the bar', () => {
    const { again, stopped } = run(0.5);
    const before = stopped(10);
    for (let k = 0; k < 5; k++) again();
    expect(stopped(10)).toBe(before);
    expect(before).toMatch(/of the last 40 judged/);
  });
});

describe('TrafficPool', () => {
  let stop: (() => void) | undefined;
  // Background ticks are driven by hand (fake setInterval): each advance of refreshMs runs one.
  afterEach(() => {
    stop?.();
    vi.useRealTimers();
  });

  it('admits a new item to the first tier at once, a retired one not at all', () => {
    const { config, catalog } = freshWorld(100, 1000);
    const online = testOnlineState();
    const pool = new TrafficPool(config.ranker);
    pool.refresh(catalog, online);
    const base = { ...catalog.itemRow(0), published_at: nowSec };
    const [fresh, retired] = catalog.upsertItems([
      { ...base, item_id: 'new-1' },
      { ...base, item_id: 'new-2', available: 0 },
    ]);
    pool.admit(catalog, [fresh!, retired!]);
    expect(pool.tierName(fresh!)).toBe(config.ranker.trafficPool.tiers[0]!.name);
    expect(pool.eligible[0]![0]).toBe(fresh);
    expect(pool.tierName(retired!)).toBeUndefined();
  });

  it('computes the same lists in slices as in one pass', async () => {
    // Five slices of SLICE_ROWS (2,048) rows, the last one partial; a stopped item in the first and the fifth.
    const { config, catalog } = freshWorld(10_000, 1000);
    const online = testOnlineState();
    online.apply(skipEvents('v5', 60));
    online.apply(skipEvents('v8888', 60));
    const once = new TrafficPool(config.ranker);
    once.refresh(catalog, online);
    const sliced = new TrafficPool(config.ranker);
    await sliced.refreshInSlices(catalog, online);
    expect(sliced.eligible.map((l) => Array.from(l))).toEqual(once.eligible.map((l) => Array.from(l)));
    expect([...sliced.stopped]).toEqual([...once.stopped]);
    expect([...sliced.stopped.keys()].map((r) => catalog.items.id(r)).sort()).toEqual(['v5', 'v8888']);
    expect(sliced.eligible[0]!.length).toBe(10_000 - 2);
  });

  it('refreshes in the background once started, not on the request path', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { config, catalog } = freshWorld(200, 150);
    const online = testOnlineState();
    const pool = new TrafficPool(config.ranker);
    stop = pool.start(catalog, online);
    const row = catalog.items.row('v3');
    expect(pool.current(catalog, online).stopped.has(row)).toBe(false);
    online.apply(skipEvents('v3', 60));
    // A request long after refreshMs still reads the precomputed lists...
    expect(pool.current(catalog, online, Date.now() + 60_000).stopped.has(row)).toBe(false);
    // ...which the background refresh (a pass in slices, begun by the next tick) replaces.
    await vi.advanceTimersByTimeAsync(150);
    await expect.poll(() => pool.stopped.has(row), { timeout: 3000, interval: 5 }).toBe(true);
    stop();
    online.apply(skipEvents('v4', 60));
    // Stopped: stale lists are recomputed on read again.
    expect(pool.current(catalog, online, Date.now() + 60_000).stopped.has(catalog.items.row('v4'))).toBe(true);
  });

  it('between full passes, reclassifies only the items that got events', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { config, catalog } = freshWorld(200, 100, 3_600_000);
    const online = testOnlineState();
    const listeners = new Set<(events: readonly EngagementEvent[]) => void>();
    const applyAndNotify = (events: EngagementEvent[]) => {
      online.apply(events);
      for (const l of listeners) l(events);
    };
    const pool = new TrafficPool(config.ranker);
    stop = pool.start(catalog, online, (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    });
    const v3 = catalog.items.row('v3');
    const v4 = catalog.items.row('v4');
    expect(Array.from(pool.eligible[0]!)).toContain(v3);
    applyAndNotify(skipEvents('v3', 60));
    expect(pool.stopped.has(v3)).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(pool.stopped.has(v3)).toBe(true);
    expect(Array.from(pool.eligible[0]!)).not.toContain(v3);
    expect(Array.from(pool.eligible[0]!)).toContain(v4);
    // Events nobody was told about wait for the next full pass (an hour away here).
    online.apply(skipEvents('v4', 60));
    await vi.advanceTimersByTimeAsync(400);
    expect(pool.stopped.has(v4)).toBe(false);
    stop();
    expect(listeners.size).toBe(0);
  });

  it('with refreshMs 0 recomputes on every read, even when started', () => {
    const { config, catalog } = freshWorld(100, 0);
    const online = testOnlineState();
    const pool = new TrafficPool(config.ranker);
    stop = pool.start(catalog, online);
    online.apply(skipEvents('v9', 60));
    expect(pool.current(catalog, online).stopped.has(catalog.items.row('v9'))).toBe(true);
  });
});
