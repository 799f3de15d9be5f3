import type { FeedEntry } from '../../feed-api/feed-response.ts';
import type { ItemWrite } from '../../ingest/catalog-writes.ts';
import type { EngagementEvent } from '../../ingest/events.ts';
import type { VideoTruth } from '../behaviour.ts';
import type { FeedPolicy } from '../policies/types.ts';
import { Simulator } from '../session.ts';
import { cohort } from '../simulate.ts';
import { ids } from '../world/rows.ts';
import { CATEGORIES, LOCALES } from '../world/spec.ts';
import type { ScenarioContext, ScenarioResult } from './context.ts';
import { THRESHOLDS } from './thresholds.ts';

/** Sessions of world people per trial: the traffic window of the traffic scenarios. */
const SESSIONS_PER_TRIAL = 40;

/** What a traffic scenario watches, each with the seconds since the window opened: every entry served, every event the people sent. */
interface TrafficWatch {
  entry?: (e: FeedEntry, sec: number) => void;
  event?: (e: EngagementEvent, sec: number) => void;
}

/** How much traffic: `sessions` people (default: the trials' window), drawn with `seed`; `until` ends it early, checked between sessions. */
interface TrafficWindow {
  sessions?: number;
  seed?: number;
  until?: () => boolean;
}

/** Realistic traffic: the world's people (behaviour model) run one session each against the target; returns how many ran. */
async function traffic(ctx: ScenarioContext, label: string, watch: TrafficWatch, extraItems?: ReadonlyMap<string, VideoTruth>, window: TrafficWindow = {}): Promise<number> {
  const people = cohort(ctx.world, Math.min(ctx.world.users.count, window.sessions ?? ctx.trials * SESSIONS_PER_TRIAL), window.seed ?? ctx.seed);
  const sim = new Simulator(ctx.world, { seed: ctx.seed, runTag: `${ctx.runTag}-${label}`, wallClock: ctx.wallClock, pageSize: ctx.pageSize, extraItems });
  const opened = Date.now();
  const startMs = ctx.world.spec.nowSec * 1000;
  let simSec = 0;
  // Wall seconds against a live engine; simulated seconds in process, where pages cost nothing.
  const clock = () => (ctx.wallClock ? (Date.now() - opened) / 1000 : simSec);
  const recording: FeedPolicy = {
    name: ctx.target.name,
    async page(userId, count, cursor, pageCtx) {
      const page = await ctx.target.page(userId, count, cursor, pageCtx);
      if (pageCtx) simSec = pageCtx.nowSec - startMs / 1000;
      if (watch.entry) for (const e of page.entries) watch.entry(e, clock());
      return page;
    },
    observe: (events) => {
      if (watch.event) for (const e of events) watch.event(e, clock());
      return ctx.target.observe?.(events);
    },
  };
  let ran = 0;
  for (const u of people) {
    if (window.until?.()) break;
    await sim.session(u, recording, startMs);
    ran++;
  }
  await ctx.target.close?.();
  return ran;
}

/** The category people like most in all (summed interest weights): the taste a hit is likeliest to have. */
function mostLikedCategory(world: ScenarioContext['world']): number {
  const C = CATEGORIES.length;
  const total = new Float64Array(C);
  for (let i = 0; i < world.users.count; i++) for (let c = 0; c < C; c++) total[c]! += world.users.interest[i * C + c]!;
  return total.indexOf(Math.max(...total));
}

/**
 * The two videos the new-item scenario publishes: one people love, one they swipe away. Both are
 * of the most-liked category, with the taste vector of a video of it from the world (its first),
 * and differ only in quality, far above and far below the world's (0.5 on average). A video
 * without any taste vector is not a good video in this world (interest is mostly taste match, so
 * nobody completes it often); one on the category's very centre is watched better than most
 * videos whatever its quality (its first audience outscored 70% of the pool's peers at quality
 * 0.05), so a pool that judges videos against their peers rightly promotes it.
 */
export function newItems(ctx: ScenarioContext): { items: ItemWrite[]; truth: Map<string, VideoTruth> } {
  const { world } = ctx;
  const category = mostLikedCategory(world);
  const creator = Math.max(0, world.creators.category.indexOf(category));
  const typical = world.items.category.indexOf(category);
  const vec = world.items.vec.slice(typical * world.dim, (typical + 1) * world.dim);
  // Published now: a live engine's clock is the wall clock, and the world's now may be hours or days behind it.
  const publishedAt = ctx.wallClock ? Math.floor(Date.now() / 1000) : world.spec.nowSec;
  const make = (kind: 'good' | 'bad', quality: number): [ItemWrite, VideoTruth] => [
    {
      item_id: `${ctx.runTag}-${kind}`,
      creator_id: ids.creator(creator),
      title: `new ${kind} video`,
      category: CATEGORIES[category]!,
      locale: LOCALES[world.creators.locale[creator]!]!,
      duration_ms: 15_000,
      published_at: publishedAt,
    },
    { vec, quality, durationMs: 15_000, localeMatch: true, creatorIsKol: false },
  ];
  const pairs = [make('good', 0.95), make('bad', 0.05)];
  return { items: pairs.map(([i]) => i), truth: new Map(pairs.map(([i, t]) => [i.item_id, t])) };
}

export async function newItem(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS['new-item'];
  const base = {
    scenario: 'new-item' as const,
    figure: 'seconds until the good new video has its first 50 impressions',
    unit: 's',
    threshold: `good: >= ${t.firstAudience} impressions and promoted past them (> ${t.firstAudience + t.stopSlack}); bad: <= ${t.firstAudience + t.stopSlack}`,
  };
  if (!ctx.target.publish) return { ...base, value: null, pass: false, reason: `policy ${ctx.target.name} has no publish API`, details: {} };
  const { items, truth } = newItems(ctx);
  const published = await ctx.target.publish(items);
  if (!published.ok) {
    const reason = published.status === 404 ? 'engine has no publish API (POST /v1/items 404)' : `publishing failed: ${published.error}`;
    return { ...base, value: null, pass: false, reason, details: {} };
  }
  const [good, bad] = items.map((i) => i.item_id);
  // Impressions as the engine counts them: entries people scrolled to, not every entry of a page served.
  const shown = { good: 0, bad: 0 };
  const slots = { good: { exploration: 0, promotion: 0 }, bad: { exploration: 0, promotion: 0 } };
  let goodAt: number | null = null;
  const watch: TrafficWatch = {
    entry: (e) => {
      if (e.type !== 'video' || (e.item_id !== good && e.item_id !== bad)) return;
      const of = slots[e.item_id === good ? 'good' : 'bad'];
      if (e.exploration) of.exploration++;
      if (e.promoted) of.promotion++;
    },
    event: (e, sec) => {
      if (e.kind !== 'impression') return;
      if (e.item_id === good && ++shown.good === t.firstAudience) goodAt = sec;
      if (e.item_id === bad) shown.bad++;
    },
  };
  // The verdict on a first audience shows only in the traffic after it: the window runs until
  // the good video's audience is full, then as many sessions again (other people), so promotion
  // is judged on the same amount of traffic wherever in the window the audience filled.
  const before = await traffic(ctx, 'newitem', watch, truth, { until: () => goodAt !== null });
  const after = goodAt === null ? 0 : await traffic(ctx, 'newitem-after', watch, truth, { sessions: before, seed: ctx.seed + 1 });
  // A stopped video still gets the entries of pages served before the stop: promoted is beyond that.
  const promoted = shown.good > t.firstAudience + t.stopSlack;
  const stopped = shown.bad <= t.firstAudience + t.stopSlack;
  // The engine's own account of each, e.g. why it stopped the good one.
  const standing = async (id: string) => {
    const s = await ctx.target.poolStanding?.(id);
    return s ? (s.stopped ? `stopped: ${s.stopped}` : (s.tier ?? 'out of the pool')) : 'not reported';
  };
  return {
    ...base,
    value: goodAt,
    pass: goodAt !== null && promoted && stopped,
    details: {
      sessions: before + after,
      sessions_after_first_audience: after,
      good_impressions: shown.good,
      good_exploration_slots: slots.good.exploration,
      good_promotion_slots: slots.good.promotion,
      bad_impressions: shown.bad,
      bad_exploration_slots: slots.bad.exploration,
      bad_promotion_slots: slots.bad.promotion,
      good: promoted ? 'promoted' : 'not promoted',
      bad: stopped ? 'stopped' : 'not stopped',
      good_pool: await standing(good!),
      bad_pool: await standing(bad!),
    },
  };
}

/** The most any one id holds of `window` consecutive entries of `seq` (sliding). */
function maxInWindow(seq: readonly string[], window: number): number {
  const counts = new Map<string, number>();
  let max = 0;
  seq.forEach((id, i) => {
    const n = (counts.get(id) ?? 0) + 1;
    counts.set(id, n);
    max = Math.max(max, n);
    if (i >= window - 1) counts.set(seq[i - window + 1]!, counts.get(seq[i - window + 1]!)! - 1);
  });
  return max;
}

export async function explorationSpread(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS['exploration-spread'];
  const explored: string[] = [];
  const sessions = await traffic(ctx, 'explore', {
    entry: (e) => {
      if (e.type === 'video' && e.exploration) explored.push(e.item_id);
    },
  });
  const top = maxInWindow(explored, t.window);
  const base = {
    scenario: 'exploration-spread' as const,
    unit: 'share',
    figure: `most exploration slots (entries marked \`exploration\`) one video took in any ${t.window} consecutive ones, as a share`,
    threshold: `<= ${(t.maxTopShare * 100).toFixed(0)}%`,
    details: { sessions, exploration_slots: explored.length, explored_items: new Set(explored).size, top_item_slots_in_window: top },
  };
  if (explored.length < t.window) return { ...base, value: null, pass: false, reason: `only ${explored.length} exploration slots in the traffic window (need ${t.window})` };
  const value = top / t.window;
  return { ...base, value, pass: value <= t.maxTopShare };
}
