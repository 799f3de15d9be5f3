import type { RankerConfig, TrafficTier } from '../config/sections/ranker.ts';
import type { CatalogView, Column } from './catalog/catalog-view.ts';
import type { OnlineView } from './online-view.ts';
import { SlotLedger } from './slot-ledger.ts';

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

/**
 * The horse race's measure of how well an audience watched a video: the mean of the fraction
 * watched and the share completed, both per impression (an unplayed impression counts as
 * nothing). The watched fraction alone saturates for well-matched audiences (a weak video they
 * like the look of is still watched most of the way), completion tells those apart.
 */
function raceScore(e: Exposure): number {
  if (e.impressions === 0) return 0;
  return ((e.watchRatio + e.completionRate) * e.plays) / (2 * e.impressions);
}

/** Audiences judged per tier that the horse race compares with, and how many it needs before it applies. */
const RACE_SIZE = 200;
const RACE_MIN = 20;

/**
 * The last RACE_SIZE videos judged at one tier's audience, by `raceScore`: a video
 * enters the next tier only if it did at least as well as that tier's `topShare` of them.
 * Relative to its peers, so the bar follows the content and audience at hand instead of a
 * threshold fitted to one catalogue.
 */
class Race {
  private readonly scores = new Float64Array(RACE_SIZE);
  private size = 0;
  private next = 0;
  private sorted: Float64Array | undefined;

  record(score: number): void {
    this.scores[this.next] = score;
    this.next = (this.next + 1) % RACE_SIZE;
    this.size = Math.min(RACE_SIZE, this.size + 1);
    this.sorted = undefined;
  }

  /** The score at the top `share` (undefined: share 1, or too few judged yet). */
  bar(share: number): { score: number; of: number } | undefined {
    if (share >= 1 || this.size < RACE_MIN) return undefined;
    this.sorted ??= this.scores.slice(0, this.size).sort();
    return { score: this.sorted[Math.min(this.size - 1, Math.floor((1 - share) * this.size))]!, of: this.size };
  }
}

/** Tier rules: an item moves up only after filling its tier's audience, meeting the next tier's thresholds and placing in its race. */
function poolStatus(tiers: readonly TrafficTier[], races: readonly Race[], e: Exposure): PoolStatus {
  let tier = 0;
  while (e.impressions >= tiers[tier]!.maxImpressions) {
    const next = tiers[tier + 1];
    if (!next) return { state: 'graduated' };
    const misses: string[] = [];
    if (e.watchRatio < next.minWatchRatio) misses.push(`watch ratio ${e.watchRatio.toFixed(2)} < ${next.minWatchRatio}`);
    if (e.completionRate < next.minCompletionRate) misses.push(`completion ${e.completionRate.toFixed(2)} < ${next.minCompletionRate}`);
    if (e.skipRate > next.maxSkipRate) misses.push(`skip rate ${e.skipRate.toFixed(2)} > ${next.maxSkipRate}`);
    const bar = races[tier]!.bar(next.topShare);
    const score = raceScore(e);
    if (bar && score < bar.score) {
      misses.push(`race score ${score.toFixed(2)} < ${bar.score.toFixed(2)}, the top ${Math.round(next.topShare * 100)}% of the last ${bar.of} judged`);
    }
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
  /** Per tier: the rows in the fresh window whose audience at that tier was judged (recorded in its race). */
  judged: Set<number>[];
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
/**
 * A video's place in the pool: its tier, or why its audience stopped it (both null: outside the
 * pool's window of `maxAgeHours`, retired, or past its last tier).
 */
export interface PoolStanding {
  tier: string | null;
  stopped: string | null;
}

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
  /** Per tier but the last: the race its audiences run, and who ran it (each video once). */
  private readonly races: Race[];
  private judged: Set<number>[];

  /** Exploration and promotion slots are shared among the pool's items (ranker/selector/diversity.ts reads and records them). */
  readonly exploration: SlotLedger;
  readonly promotion: SlotLedger;

  constructor(private readonly config: RankerConfig) {
    const { explorationWindowSlots, explorationMaxItemShare } = config.rerank;
    this.exploration = new SlotLedger(explorationWindowSlots, explorationMaxItemShare);
    this.promotion = new SlotLedger(explorationWindowSlots, explorationMaxItemShare);
    this.races = config.trafficPool.tiers.slice(1).map(() => new Race());
    this.judged = this.races.map(() => new Set());
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

  /** Where a video stands (GET /v1/items/:id shows it). */
  statusOf(catalog: CatalogView, online: OnlineView, row: number, now = Date.now()): PoolStanding {
    this.current(catalog, online, now);
    return { tier: this.tierName(row) ?? null, stopped: this.stopped.get(row) ?? null };
  }

  tierName(row: number): string | undefined {
    const t = this.tierOfRow[row];
    return t === undefined || t < 0 ? undefined : this.config.trafficPool.tiers[t]?.name;
  }

  private newBuild(catalog: CatalogView): PoolBuild {
    return {
      lists: this.config.trafficPool.tiers.map(() => []),
      stopped: new Map(),
      tierOfRow: new Int8Array(catalog.items.size).fill(-1),
      judged: this.races.map(() => new Set()),
    };
  }

  private freshSince(now: number): number {
    return now / 1000 - this.config.trafficPool.maxAgeHours * 3600;
  }

  /**
   * The row's tier (-1: not in the pool) and why it stopped, if it did. An audience seen filled
   * for the first time runs in its tier's race (`judged` notes it, and the pool's own sets say
   * whether an earlier pass already did).
   */
  private classify(catalog: CatalogView, online: OnlineView, row: number, judged: Set<number>[]): { tier: number; stopped?: string } {
    if (!catalog.itemAvailable[row]) return { tier: -1 };
    const { impressions, plays } = catalog.stats;
    // Most fresh items have no audience yet: first tier, without building their exposure.
    if (!((impressions[row] ?? 0) > 0 || (plays[row] ?? 0) > 0) && online.itemCounters(catalog.items.id(row)) === undefined) return { tier: 0 };
    const exposure = exposureOf(catalog, online, row);
    const { tiers } = this.config.trafficPool;
    for (let t = 0; t < this.races.length && exposure.impressions >= tiers[t]!.maxImpressions; t++) {
      if (!this.judged[t]!.has(row) && !judged[t]!.has(row)) this.races[t]!.record(raceScore(exposure));
      judged[t]!.add(row);
    }
    const status = poolStatus(tiers, this.races, exposure);
    if (status.state === 'eligible') return { tier: status.tier };
    return status.state === 'stopped' ? { tier: -1, stopped: status.reason } : { tier: -1 };
  }

  /** Classifies rows[from, to); false once past the fresh window (rows are newest first). */
  private scan(b: PoolBuild, catalog: CatalogView, online: OnlineView, rows: Column, from: number, to: number, now: number): boolean {
    const since = this.freshSince(now);
    for (let k = from; k < to; k++) {
      const row = rows[k]!;
      if (catalog.itemPublished[row]! < since) return false;
      const c = this.classify(catalog, online, row, b.judged);
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
      const c = this.classify(catalog, online, row, this.judged);
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
    // A full pass saw every judged row still in the window; the rest aged out. Rows judged by updates during a sliced pass are kept.
    for (const [t, set] of this.judged.entries()) for (const row of set) if (b.tierOfRow[row] !== -1 || b.stopped.has(row)) b.judged[t]!.add(row);
    this.judged = b.judged;
  }
}
