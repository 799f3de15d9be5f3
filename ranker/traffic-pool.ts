import type { RankerConfig, TrafficTier } from './config.ts';
import type { ServingCatalog } from './catalog/serving-catalog.ts';
import type { OnlineState } from '../ingest/online-state.ts';

/** How an item in the fresh window stands in the traffic pool. */
export type PoolStatus =
  | { state: 'eligible'; tier: number }
  /** Its audience at `tier` did not watch well enough to be promoted. */
  | { state: 'stopped'; tier: number; reason: string }
  /** Reached the last tier's audience: no longer needs the pool. */
  | { state: 'graduated' };

export interface Exposure {
  impressions: number;
  plays: number;
  watchRatio: number;
  completionRate: number;
  skipRate: number;
}

/** Long-term stats and the short online window, without double counting (the larger count wins). */
export function exposureOf(catalog: ServingCatalog, online: OnlineState, row: number): Exposure {
  const s = catalog.stats;
  const c = online.itemCounters(catalog.items.id(row));
  const ltPlays = s.plays[row] ?? 0;
  const useOnline = c !== undefined && c.plays >= ltPlays;
  const plays = useOnline ? c.plays : ltPlays;
  const impressions = Math.max(s.impressions[row] ?? 0, c?.impressions ?? 0, plays);
  const watchRatio = useOnline ? (c.plays > 0 ? c.watchRatioSum / c.plays : 0) : (s.watchRatio[row] ?? 0);
  const completions = useOnline ? c.completions : (s.completions[row] ?? 0);
  const skips = useOnline ? c.skips : (s.skips[row] ?? 0);
  return {
    impressions,
    plays,
    watchRatio,
    completionRate: plays > 0 ? Math.min(1, completions / plays) : 0,
    skipRate: Math.min(1, skips / Math.max(1, plays, impressions)),
  };
}

/** Tier rules: an item moves up only after filling its tier's audience and meeting the next tier's thresholds. */
export function poolStatus(tiers: readonly TrafficTier[], e: Exposure): PoolStatus {
  let tier = 0;
  while (e.impressions >= tiers[tier]!.maxImpressions) {
    const next = tiers[tier + 1];
    if (!next) return { state: 'graduated' };
    const misses: string[] = [];
    if (e.watchRatio < next.minWatchRatio) misses.push(`watch ratio ${e.watchRatio.toFixed(2)} < ${next.minWatchRatio}`);
    if (e.completionRate < next.minCompletionRate) misses.push(`completion ${e.completionRate.toFixed(2)} < ${next.minCompletionRate}`);
    if (e.skipRate > next.maxSkipRate) misses.push(`skip rate ${e.skipRate.toFixed(2)} > ${next.maxSkipRate}`);
    if (misses.length > 0) return { state: 'stopped', tier, reason: `audience of ${tiers[tier]!.name}: ${misses.join(', ')}` };
    tier++;
  }
  return { state: 'eligible', tier };
}

/**
 * The fresh-content traffic pool: which new items get traffic, per tier. Recomputed at most
 * every `refreshMs` (a linear pass over the fresh window), so requests read precomputed lists.
 */
export class TrafficPool {
  /** Per tier: rows currently eligible for traffic. */
  eligible: Int32Array[] = [];
  /** Rows stopped by their audience, with the reason. */
  stopped = new Map<number, string>();
  private tierOfRow = new Map<number, number>();
  private computedAt = -Infinity;

  constructor(private readonly config: RankerConfig) {}

  refresh(catalog: ServingCatalog, online: OnlineState, now = Date.now()): void {
    const tiers = this.config.trafficPool.tiers;
    const lists: number[][] = tiers.map(() => []);
    const stopped = new Map<number, string>();
    const tierOfRow = new Map<number, number>();
    const since = now / 1000 - this.config.trafficPool.maxAgeHours * 3600;
    for (const row of catalog.freshItems) {
      if (catalog.itemPublished[row]! < since) break; // newest first
      if (!catalog.itemAvailable[row]) continue;
      const status = poolStatus(tiers, exposureOf(catalog, online, row));
      if (status.state === 'eligible') {
        lists[status.tier]!.push(row);
        tierOfRow.set(row, status.tier);
      } else if (status.state === 'stopped') stopped.set(row, status.reason);
    }
    this.eligible = lists.map((l) => Int32Array.from(l));
    this.stopped = stopped;
    this.tierOfRow = tierOfRow;
    this.computedAt = now;
  }

  /** Refreshes when older than `trafficPool.refreshMs`. */
  current(catalog: ServingCatalog, online: OnlineState, now = Date.now()): this {
    if (now - this.computedAt >= this.config.trafficPool.refreshMs) this.refresh(catalog, online, now);
    return this;
  }

  tierName(row: number): string | undefined {
    const t = this.tierOfRow.get(row);
    return t === undefined ? undefined : this.config.trafficPool.tiers[t]?.name;
  }
}
