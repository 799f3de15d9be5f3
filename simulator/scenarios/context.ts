import type { FeedEntry } from '../../feed-api/feed-response.ts';
import type { EngagementEvent, EventKind } from '../../ingest/events.ts';
import type { FeedPage, FeedPolicy } from '../policies/types.ts';
import type { World } from '../world/generate.ts';
import { indexOf } from '../world/rows.ts';
import type { Rng } from '../world/rng.ts';
import { CATEGORIES } from '../world/spec.ts';
import type { ScenarioName } from './thresholds.ts';

/** What a scenario runs against: the world (ground truth) and a policy (in-process or the engine). */
export interface ScenarioContext {
  world: World;
  target: FeedPolicy;
  /** Independent repetitions (new users, creators, products) per scenario. */
  trials: number;
  seed: number;
  /** Prefix of the ids this run makes up (new users, events, items), fresh per run against a live engine. */
  runTag: string;
  pageSize: number;
  /** Stamp the events sent out with the real clock (a live engine rejects future events). */
  wallClock: boolean;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  /** What is measured, in words. */
  figure: string;
  value: number | null;
  unit: string;
  threshold: string;
  pass: boolean;
  /** Why it failed when no figure could be measured (e.g. a missing API). */
  reason?: string;
  details: Record<string, number | string>;
}

/** A scripted person: a made-up id the world does not know, with a language and their own event stream. */
export class ScriptedUser {
  readonly id: string;
  private seq = 0;
  private cursor: string | undefined;
  private clockMs: number;

  constructor(
    private readonly ctx: ScenarioContext,
    label: string,
    readonly locale: 'zh' | 'en' = 'zh',
  ) {
    this.id = `${ctx.runTag}-${label}`;
    this.clockMs = ctx.world.spec.nowSec * 1000;
  }

  /** The next page of this user's session (the cursor carries what was served). */
  async page(): Promise<FeedPage> {
    const page = await this.ctx.target.page(this.id, this.ctx.pageSize, this.cursor, {
      nowSec: Math.floor(this.clockMs / 1000),
      locale: this.locale,
    });
    this.cursor = page.cursor;
    return page;
  }

  event(kind: EventKind, fields: Partial<EngagementEvent>): EngagementEvent {
    this.clockMs += 1000;
    return {
      schema_version: 1,
      event_id: `${this.id}-${(this.seq++).toString(36)}`,
      kind,
      user_id: this.id,
      ts: this.ctx.wallClock ? Date.now() : this.clockMs,
      app: 'simulator',
      locale: this.locale,
      ...fields,
    };
  }

  /** Sends events now (a live engine applies them before the next page). */
  async send(events: EngagementEvent[]): Promise<void> {
    await this.ctx.target.observe?.(events);
    await this.ctx.target.close?.();
  }

  /**
   * Events of watching an entry: `love` watches a video to the end and likes it, `skip` swipes
   * away after 1.5 s, `watch` sees half of it; product and live slots only get an impression.
   */
  react(entry: FeedEntry, how: 'love' | 'skip' | 'watch', requestId?: string): EngagementEvent[] {
    const at = { position: entry.position, ...(requestId ? { request_id: requestId } : {}) };
    if (entry.type !== 'video') return entry.product ? [this.event('product_impression', { ...at, product_id: entry.product.product_id })] : [];
    const v = { ...at, item_id: entry.item_id };
    const d = entry.duration_ms;
    const watch = how === 'love' ? d : how === 'skip' ? Math.min(1500, d) : Math.round(d / 2);
    const out = [this.event('impression', v), this.event('play', { ...v, watch_ms: watch, duration_ms: d })];
    if (how === 'love') out.push(this.event('complete', v), this.event('like', v));
    if (how === 'skip') out.push(this.event('skip', v));
    return out;
  }

  /** Watches `n` pages half-way (a neutral reaction); returns how many of their entries `match` picks. */
  async watchPages(n: number, match: (e: FeedEntry) => boolean): Promise<number> {
    let found = 0;
    for (let p = 0; p < n; p++) {
      const page = await this.page();
      found += page.entries.filter(match).length;
      await this.send(page.entries.flatMap((e) => this.react(e, 'watch', page.request_id)));
    }
    return found;
  }

  /** Reacts to a whole page, loving entries `loves` picks and skipping the rest. */
  async reactToPage(page: FeedPage, loves: (e: FeedEntry) => boolean): Promise<void> {
    await this.send(page.entries.flatMap((e) => this.react(e, loves(e) ? 'love' : 'skip', page.request_id)));
  }
}

/** Video entries of a page. */
export const videos = (page: FeedPage) => page.entries.filter((e): e is Extract<FeedEntry, { type: 'video' }> => e.type === 'video');

/** Share of a page's videos that are of `category` (0 for a page without videos). */
export function categoryShare(page: FeedPage, category: string): number {
  const v = videos(page);
  return v.length === 0 ? 0 : v.filter((e) => e.category === category).length / v.length;
}

/** Share of the catalog's videos in each category. */
export function categoryShares(world: World): number[] {
  const counts = new Array<number>(CATEGORIES.length).fill(0);
  for (const c of world.items.category) counts[c]!++;
  return counts.map((n) => n / world.items.count);
}

/** World videos of a category (indexes), in a seeded order. */
export function itemsOf(world: World, category: number, rng: Rng): number[] {
  const out: number[] = [];
  for (let i = 0; i < world.items.count; i++) if (world.items.category[i] === category) out.push(i);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Category of the product an entry shows (card, slot or live sale), or -1. */
export function productCategory(world: World, entry: FeedEntry): number {
  if (!entry.product) return -1;
  const p = indexOf(entry.product.product_id, 'p', world.products.count);
  return p >= 0 ? world.products.category[p]! : -1;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
