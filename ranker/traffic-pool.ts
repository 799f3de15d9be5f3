import type { RankerConfig, TrafficTier } from '../config/sections/ranker.ts';
import type { CatalogView, Column } from './catalog/catalog-view.ts';
import type { OnlineView } from './online-view.ts';
import { ExplorationLedger } from './exploration-ledger.ts';

/** How an item in the fresh window stands in the traffic pool. */
type PoolStatus =
  | { state: 'eligible'; tier: number }
  /** Its audience at `tier` did not watch well enough to be promoted. */
  | { state: 'stopped'; tier: number; reason: string }
  /** Reached the last tier's audience: no longer needs the pool. */
  | { state: 'graduated' };

interface Exposure {
  impressions: number;
  plays: number;
  watchRatio: number;
  completionRate: number;
  skipRate: number;
}

/** Long-term stats and the short online window, without double counting (the larger count wins). */
function exposureOf(catalog: CatalogView, online: OnlineView, row: number): Exposure {
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
function poolStatus(tiers: readonly TrafficTier[], e: Exposure): PoolStatus {
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

/** Rows of the fresh window scanned per slice of a background refresh: about 4 ms of work (1M-item catalog, 250k fresh). */
const SLICE_ROWS = 2048;

/** Calls `listener` with every batch of newly applied events (TeeOnlineState.onApply); returns the unsubscribe. */
export type EngagementFeed = (listener: (events: readonly { item_id?: string | undefined }[]) => void) => () => void;

interface PoolBuild {
  lists: number[][];
  stopped: Map<number, string>;
  /** Per catalog row: its eligible tier, or -1. */
  tierOfRow: Int8Array;
}

/**
 * The fresh-content traffic pool: which new items get traffic, per tier. Requests read
 * precomputed lists. In a server, `start()` keeps them current off the request path: every
 * `refreshMs` it reclassifies only the items that got events since the last tick, and every
 * `fullRefreshMs` it reclassifies the whole fresh window in slices that yield to the event loop
 * (a pass over 250k fresh items would otherwise stall every request behind it). Without
 * `start()`, `current()` recomputes synchronously when the lists are older than `refreshMs`
 * (tests, one-off pipelines).
 */
export class TrafficPool {
  /** Per tier: rows currently eligible for traffic. */
  eligible: Int32Array[] = [];
  /** Rows stopped by their audience, with the reason. */
  stopped = new Map<number, string>();
  private tierOfRow: Int8Array = new Int8Array(0);
  private computedAt = -Infinity;
  private background: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  /** Items that got events since the last tick. */
  private readonly dirty = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  /** Exploration slots are shared among the pool's items (ranker/selector/diversity.ts reads and records it). */
  readonly exploration: ExplorationLedger;

  constructor(private readonly config: RankerConfig) {
    this.exploration = new ExplorationLedger(config.rerank.explorationWindowSlots, config.rerank.explorationMaxItemShare);
  }

  refresh(catalog: CatalogView, online: OnlineView, now = Date.now()): void {
    const build = this.newBuild(catalog);
    const rows = catalog.freshItems;
    this.scan(build, catalog, online, rows, 0, rows.length, now);
    this.install(build, now);
  }

  /** The same recomputation in slices of SLICE_ROWS, yielding between them; the lists swap in at the end. */
  async refreshInSlices(catalog: CatalogView, online: OnlineView, now = Date.now()): Promise<void> {
    const build = this.newBuild(catalog);
    const rows = catalog.freshItems; // reindex() replaces the array, never mutates it
    for (let from = 0; from < rows.length; from += SLICE_ROWS) {
      if (!this.scan(build, catalog, online, rows, from, Math.min(rows.length, from + SLICE_ROWS), now)) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.install(build, now);
  }

  /**
   * Recomputes now, then keeps the lists current in the background (until `stop()`); returns
   * the stop function. Without `engagement`, every tick is a full pass.
   */
  start(catalog: CatalogView, online: OnlineView, engagement?: EngagementFeed): () => void {
    // refreshMs 0 asks for lists recomputed on every request: `current()` does that.
    const { refreshMs, fullRefreshMs } = this.config.trafficPool;
    if (refreshMs === 0) return () => undefined;
    this.refresh(catalog, online);
    this.unsubscribe = engagement?.((events) => {
      for (const e of events) if (e.item_id) this.dirty.add(e.item_id);
    });
    let lastFull = Date.now();
    const tick = () => {
      if (this.refreshing) return;
      const now = Date.now();
      if (!engagement || now - lastFull >= fullRefreshMs || catalog.items.size !== this.tierOfRow.length) {
        lastFull = now;
        this.dirty.clear(); // the pass covers them; events during it are marked again
        this.refreshing = this.refreshInSlices(catalog, online, now).finally(() => (this.refreshing = undefined));
      } else if (this.dirty.size > 0) this.update(catalog, online, now);
    };
    this.background = setInterval(tick, Math.max(100, refreshMs)).unref();
    return () => this.stop();
  }

  stop(): void {
    clearInterval(this.background);
    this.background = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.dirty.clear();
  }

  /**
   * New items enter the first tier at publish (`ServingCatalog.onNewItems`), before the next
   * tick classifies them with the rest; a retired one is left out.
   */
  admit(catalog: CatalogView, rows: readonly number[]): void {
    const tierOfRow = new Int8Array(catalog.items.size).fill(-1);
    tierOfRow.set(this.tierOfRow.subarray(0, Math.min(this.tierOfRow.length, tierOfRow.length)));
    const added = rows.filter((row) => catalog.itemAvailable[row] && tierOfRow[row] === -1);
    for (const row of added) tierOfRow[row] = 0;
    this.tierOfRow = tierOfRow;
    if (added.length === 0 || this.eligible.length === 0) return;
    this.eligible = [Int32Array.from([...added, ...this.eligible[0]!]), ...this.eligible.slice(1)];
  }

  /** The lists; recomputed here when stale only if no background refresh keeps them current. */
  current(catalog: CatalogView, online: OnlineView, now = Date.now()): this {
    if (!this.background && now - this.computedAt >= this.config.trafficPool.refreshMs) this.refresh(catalog, online, now);
    return this;
  }

  tierName(row: number): string | undefined {
    const t = this.tierOfRow[row];
    return t === undefined || t < 0 ? undefined : this.config.trafficPool.tiers[t]?.name;
  }

  private newBuild(catalog: CatalogView): PoolBuild {
    return { lists: this.config.trafficPool.tiers.map(() => []), stopped: new Map(), tierOfRow: new Int8Array(catalog.items.size).fill(-1) };
  }

  private freshSince(now: number): number {
    return now / 1000 - this.config.trafficPool.maxAgeHours * 3600;
  }

  /** The row's tier (-1: not in the pool) and why it stopped, if it did. */
  private classify(catalog: CatalogView, online: OnlineView, row: number): { tier: number; stopped?: string } {
    if (!catalog.itemAvailable[row]) return { tier: -1 };
    const { impressions, plays } = catalog.stats;
    // Most fresh items have no audience yet: first tier, without building their exposure.
    if (!((impressions[row] ?? 0) > 0 || (plays[row] ?? 0) > 0) && online.itemCounters(catalog.items.id(row)) === undefined) return { tier: 0 };
    const status = poolStatus(this.config.trafficPool.tiers, exposureOf(catalog, online, row));
    if (status.state === 'eligible') return { tier: status.tier };
    return status.state === 'stopped' ? { tier: -1, stopped: status.reason } : { tier: -1 };
  }

  /** Classifies rows[from, to); false once past the fresh window (rows are newest first). */
  private scan(b: PoolBuild, catalog: CatalogView, online: OnlineView, rows: Column, from: number, to: number, now: number): boolean {
    const since = this.freshSince(now);
    for (let k = from; k < to; k++) {
      const row = rows[k]!;
      if (catalog.itemPublished[row]! < since) return false;
      const c = this.classify(catalog, online, row);
      if (c.tier >= 0) {
        b.lists[c.tier]!.push(row);
        b.tierOfRow[row] = c.tier;
      } else if (c.stopped) b.stopped.set(row, c.stopped);
    }
    return true;
  }

  /** Reclassifies the items that got events; the lists are rebuilt from the per-row tiers only if one moved. */
  private update(catalog: CatalogView, online: OnlineView, now: number): void {
    const since = this.freshSince(now);
    let moved = false;
    for (const id of this.dirty) {
      const row = catalog.items.row(id);
      if (row < 0 || row >= this.tierOfRow.length || catalog.itemPublished[row]! < since) continue;
      const c = this.classify(catalog, online, row);
      if (c.tier !== this.tierOfRow[row]) {
        this.tierOfRow[row] = c.tier;
        moved = true;
      }
      if (c.stopped) this.stopped.set(row, c.stopped);
      else this.stopped.delete(row);
    }
    this.dirty.clear();
    if (!moved) return;
    const lists: number[][] = this.config.trafficPool.tiers.map(() => []);
    for (const row of catalog.freshItems) {
      if (catalog.itemPublished[row]! < since) break;
      const t = this.tierOfRow[row] ?? -1;
      if (t >= 0) lists[t]!.push(row);
    }
    this.eligible = lists.map((l) => Int32Array.from(l));
  }

  private install(b: PoolBuild, now: number): void {
    this.eligible = b.lists.map((l) => Int32Array.from(l));
    this.stopped = b.stopped;
    this.tierOfRow = b.tierOfRow;
    this.computedAt = now;
  }
}
