import type { EngagementEvent } from '../../ingest/events.ts';
import type { World } from '../world/generate.ts';
import { indexOf } from '../world/rows.ts';
import { Rng } from '../world/rng.ts';
import { published, ServedItems, videoEntry } from './in-process.ts';
import type { FeedPage, FeedPolicy, PageContext } from './types.ts';

export interface PopularOptions {
  /** Share of slots filled with random unseen videos, so that new videos get a first audience. */
  explore?: number;
  /** Re-rank after this many observed events. */
  rerankEvery?: number;
}

/** Value of one event toward an item's popularity. */
const VALUE: Partial<Record<EngagementEvent['kind'], number>> = { like: 1, share: 2, comment: 1, purchase: 3, skip: -0.5, not_interested: -1 };
/** Bayesian shrinkage: an item starts as if it had PRIOR_N impressions at PRIOR_VALUE each. */
const PRIOR_N = 5;
const PRIOR_VALUE = 0.3;

/**
 * Global popularity learned only from observed events: value per impression (watched fraction
 * plus weighted likes, shares, comments, purchases, minus skips), shrunk toward a prior so a
 * single lucky view does not top the chart. Everyone gets the same ranking, minus what they saw.
 */
export function popularPolicy(world: World, seed: number, opts: PopularOptions = {}): FeedPolicy & { ranking(): Int32Array; observe(events: readonly EngagementEvent[]): void } {
  const explore = opts.explore ?? 0.1;
  const rerankEvery = opts.rerankEvery ?? 2000;
  const rng = new Rng(seed, 'policy/popular');
  const impressions = new Float64Array(world.items.count);
  const value = new Float64Array(world.items.count);
  const touched: number[] = [];
  const served = new ServedItems();
  let ranked = new Int32Array(0);
  let pending = 0;

  const score = (i: number) => (value[i]! + PRIOR_N * PRIOR_VALUE) / (impressions[i]! + PRIOR_N);
  const rerank = () => {
    ranked = Int32Array.from(touched).sort((a, b) => score(b) - score(a));
    pending = 0;
  };

  return {
    name: 'popular',
    ranking: () => {
      if (pending > 0) rerank();
      return ranked;
    },
    async page(userId: string, count: number, _cursor?: string, ctx?: PageContext): Promise<FeedPage> {
      if (pending >= rerankEvery || (pending > 0 && ranked.length === 0)) rerank();
      const nowSec = ctx?.nowSec ?? world.spec.nowSec;
      const seen = served.of(userId);
      const entries = [];
      let r = 0;
      while (entries.length < count) {
        let i = -1;
        let source = 'popular';
        if (!rng.chance(explore)) {
          while (r < ranked.length && (seen.has(ranked[r]!) || !published(world, ranked[r]!, nowSec))) r++;
          if (r < ranked.length) i = ranked[r++]!;
        }
        if (i < 0) {
          source = 'explore';
          for (let tries = 0; tries < 50 && i < 0; tries++) {
            const c = rng.int(world.items.count);
            if (!seen.has(c) && published(world, c, nowSec)) i = c;
          }
          if (i < 0) break;
        }
        seen.add(i);
        entries.push(videoEntry(world, i, entries.length, source, source === 'popular' ? score(i) : 0));
      }
      return { entries };
    },
    observe(events: readonly EngagementEvent[]): void {
      for (const e of events) {
        const i = indexOf(e.item_id, 'v', world.items.count);
        if (i < 0) continue;
        if (e.kind === 'impression') {
          if (impressions[i] === 0) touched.push(i);
          impressions[i]!++;
        } else if (e.kind === 'play' && e.duration_ms) {
          value[i]! += Math.min(1, (e.watch_ms ?? 0) / e.duration_ms);
        } else {
          value[i]! += VALUE[e.kind] ?? 0;
        }
        pending++;
      }
    },
  };
}
