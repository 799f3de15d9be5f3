import { TopK } from '../../core/top-k.ts';
import { expectedWatchAt, interestFrom } from '../behaviour.ts';
import type { World } from '../world/generate.ts';
import { Rng } from '../world/rng.ts';
import { indexOf } from '../world/rows.ts';
import { LOCALES } from '../world/spec.ts';
import { published, ServedItems, videoEntry } from './in-process.ts';
import type { FeedPage, FeedPolicy, PageContext } from './types.ts';

export interface OracleOptions {
  /** Items scored per user; the whole catalog when it is smaller. */
  candidates?: number;
  /** Best items kept per user before rescoring. */
  keep?: number;
}

/**
 * Knows every user's true taste and every video's true quality, and serves the videos with the
 * highest expected watch time the user has not seen: the ceiling a learned engine aims at.
 */
export function oraclePolicy(world: World, seed: number, opts: OracleOptions = {}): FeedPolicy {
  const candidates = opts.candidates ?? 50_000;
  const keep = opts.keep ?? 500;
  const rng = new Rng(seed, 'policy/oracle');
  const served = new ServedItems();
  const lists = new Map<string, { items: Int32Array; scores: Float64Array; next: number }>();

  const rank = (uv: Float32Array | null, locale: number, seen: Set<number>, nowSec: number) => {
    const { dim } = world;
    const iv = world.items.vec;
    const n = world.items.count;
    const pool = n <= candidates ? null : Int32Array.from({ length: candidates }, () => rng.int(n));
    const size = pool ? pool.length : n;
    const top = new TopK(keep);
    for (let k = 0; k < size; k++) {
      const i = pool ? pool[k]! : k;
      if (seen.has(i) || !published(world, i, nowSec)) continue;
      let cos = 0;
      if (uv) for (let d = 0, off = i * dim; d < dim; d++) cos += uv[d]! * iv[off + d]!;
      const localeMatch = world.creators.locale[world.items.creator[i]!] === locale;
      top.offer(i, expectedWatchAt(interestFrom(cos, world.items.quality[i]!, localeMatch, 0, 0), world.items.durationMs[i]!));
    }
    const { ids, keys } = top.sorted();
    return { items: ids, scores: keys, next: 0 };
  };

  return {
    name: 'oracle',
    async page(userId: string, count: number, _cursor?: string, ctx?: PageContext): Promise<FeedPage> {
      const u = indexOf(userId, 'u', world.users.count);
      // Someone outside the world (a scenario's new user) has no known taste: quality and language decide.
      const uv = u >= 0 ? world.users.vec.subarray(u * world.dim, (u + 1) * world.dim) : null;
      const locale = u >= 0 ? world.users.locale[u]! : Math.max(0, LOCALES.indexOf((ctx?.locale ?? 'zh') as (typeof LOCALES)[number]));
      const nowSec = ctx?.nowSec ?? world.spec.nowSec;
      const seen = served.of(userId);
      const entries = [];
      let list = lists.get(userId);
      for (let refills = 0; entries.length < count && refills < 2; ) {
        if (!list || list.next >= list.items.length) {
          list = rank(uv, locale, seen, nowSec);
          lists.set(userId, list);
          refills++;
          if (list.items.length === 0) break;
        }
        const i = list.items[list.next]!;
        const s = list.scores[list.next++]!;
        if (seen.has(i) || !published(world, i, nowSec)) continue;
        seen.add(i);
        entries.push(videoEntry(world, i, entries.length, 'oracle', s));
      }
      return { entries };
    },
  };
}
