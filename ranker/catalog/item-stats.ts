import type { ClickHouseClient } from '@clickhouse/client';
import { withContext } from '../../core/errors.ts';
import { POSITIVE_KINDS } from '../../ingest/events.ts';
import { ensureCapacity, type Dictionary, type IdIndex } from '../../core/columns.ts';
import { TopK } from '../../core/top-k.ts';
import { popularBySegment } from '../../storage/event-queries.ts';
import { streamItemTotals, trendingSince, type ItemStatsRow } from '../../storage/item-stats.ts';

/** What the stats read of the serving catalog that holds them: item rows by id and a few of its columns. */
export interface StatsCatalog {
  readonly items: Pick<IdIndex, 'row' | 'size'>;
  readonly segments: Pick<Dictionary, 'code'>;
  readonly itemDuration: ArrayLike<number>;
  readonly itemPublished: ArrayLike<number>;
  readonly itemAvailable: ArrayLike<number>;
  readonly itemLocale: ArrayLike<number>;
}

/**
 * Long-term per-item stats from item_stats_hourly, aligned with the catalog's item rows, and
 * the most popular items per user segment. Refreshed periodically, never on the request path.
 */
/** Catalog rows per slice of the popularity pass of a stats refresh (a few ms of work). */
const POPULAR_SLICE = 20_000;

/** Trending's longer window, for when the online one (the last hour) is empty: right after a start, or a quiet hour. */
const TRENDING_FALLBACK_HOURS = 24;

const sortedTops = (tops: Map<number, TopK>) => new Map([...tops].map(([loc, top]) => [loc, top.sorted().ids]));

export class ItemStats {
  impressions = new Float32Array(0);
  plays = new Float32Array(0);
  completions = new Float32Array(0);
  likes = new Float32Array(0);
  shares = new Float32Array(0);
  skips = new Float32Array(0);
  purchases = new Float32Array(0);
  /** Mean of watch_ms / duration_ms over plays (0..1+). */
  watchRatio = new Float32Array(0);
  gmv = new Float32Array(0);
  /** Segment name → item ids, most popular first. */
  segmentTop = new Map<string, string[]>();
  /** Items by weighted engagement over the last TRENDING_FALLBACK_HOURS, best first (trending's fallback). */
  trendingFallback: { item_id: string; score: number }[] = [];

  reserve(n: number): void {
    this.impressions = ensureCapacity(this.impressions, n);
    this.plays = ensureCapacity(this.plays, n);
    this.completions = ensureCapacity(this.completions, n);
    this.likes = ensureCapacity(this.likes, n);
    this.shares = ensureCapacity(this.shares, n);
    this.skips = ensureCapacity(this.skips, n);
    this.purchases = ensureCapacity(this.purchases, n);
    this.watchRatio = ensureCapacity(this.watchRatio, n);
    this.gmv = ensureCapacity(this.gmv, n);
  }

  /** Applies rows for items the catalog knows; returns how many matched. */
  apply(catalog: StatsCatalog, rows: readonly ItemStatsRow[]): number {
    this.reserve(catalog.items.size);
    let matched = 0;
    for (const r of rows) {
      const i = catalog.items.row(r.item_id);
      if (i < 0) continue;
      matched++;
      const plays = Number(r.plays);
      this.impressions[i] = Number(r.impressions);
      this.plays[i] = plays;
      this.completions[i] = Number(r.completions);
      this.likes[i] = Number(r.likes);
      this.shares[i] = Number(r.shares);
      this.skips[i] = Number(r.skips);
      this.purchases[i] = Number(r.purchases);
      this.gmv[i] = Number(r.gmv);
      const duration = catalog.itemDuration[i] || 1;
      this.watchRatio[i] = plays > 0 ? Math.min(1.5, Number(r.watch_ms) / plays / duration) : 0;
    }
    return matched;
  }

  /** A popularity score from long-term stats (engagement weighted, skips penalised). */
  popularity(i: number): number {
    return this.completions[i]! + 2 * this.likes[i]! + 3 * this.shares[i]! + 5 * this.purchases[i]! + 0.1 * this.plays[i]! - 0.5 * this.skips[i]!;
  }

  /** Per locale code: the `limit` most popular available items, newest first among ties (O(n log limit)). */
  popularByLocale(catalog: StatsCatalog, limit: number): Map<number, Int32Array> {
    const tops = new Map<number, TopK>();
    this.offerPopular(tops, catalog, limit, 0, catalog.items.size);
    return sortedTops(tops);
  }

  /** The same lists in slices of `POPULAR_SLICE` rows, yielding to requests between them (the stats refresh). */
  async popularByLocaleInSlices(catalog: StatsCatalog, limit: number): Promise<Map<number, Int32Array>> {
    const tops = new Map<number, TopK>();
    const n = catalog.items.size;
    for (let from = 0; from < n; from += POPULAR_SLICE) {
      this.offerPopular(tops, catalog, limit, from, Math.min(n, from + POPULAR_SLICE));
      await new Promise((r) => setImmediate(r));
    }
    return sortedTops(tops);
  }

  private offerPopular(tops: Map<number, TopK>, catalog: StatsCatalog, limit: number, from: number, to: number): void {
    const pub = catalog.itemPublished;
    for (let i = from; i < to; i++) {
      if (!catalog.itemAvailable[i]) continue;
      const loc = catalog.itemLocale[i]!;
      let top = tops.get(loc);
      if (!top) tops.set(loc, (top = new TopK(limit)));
      // Popularity first; the publish time (< 2^32 s) breaks ties within one unit of popularity.
      top.offer(i, Math.floor(this.popularity(i)) * 2 ** 32 + pub[i]!);
    }
  }

  popularBySegmentRows(catalog: StatsCatalog): Map<number, Int32Array> {
    const out = new Map<number, Int32Array>();
    for (const [segment, ids] of this.segmentTop) {
      const rows = ids.map((id) => catalog.items.row(id)).filter((r) => r >= 0);
      out.set(catalog.segments.code(segment), Int32Array.from(rows));
    }
    return out;
  }

  /**
   * Reads all-time stats per item (with `changedSinceSec`, only of items with events ingested
   * since then; the others keep theirs) and the top items per user segment over the last week.
   */
  async load(client: ClickHouseClient, catalog: StatsCatalog, segmentLimit: number, changedSinceSec?: number): Promise<{ items: number; segments: number }> {
    // Streamed and applied in batches, yielding between them, so serving is not blocked for long.
    const items = await withContext('reading item_stats_hourly', async () => {
      let matched = 0;
      let batch: ItemStatsRow[] = [];
      for await (const rows of streamItemTotals(client, changedSinceSec)) {
        for (const row of rows) batch.push(row);
        if (batch.length >= 20_000) {
          matched += this.apply(catalog, batch);
          batch = [];
          await new Promise((r) => setImmediate(r));
        }
      }
      return matched + this.apply(catalog, batch);
    });
    const limit = Math.max(1, Math.floor(segmentLimit));
    const top = await withContext('reading popular items per segment', () => popularBySegment(client, POSITIVE_KINDS, 7, limit));
    const segmentTop = new Map<string, string[]>();
    for (const r of top) {
      const list = segmentTop.get(r.segment) ?? [];
      list.push(r.item_id);
      segmentTop.set(r.segment, list);
    }
    this.segmentTop = segmentTop;
    this.trendingFallback = await withContext('reading trending items over the fallback window', () => trendingSince(client, TRENDING_FALLBACK_HOURS, limit));
    return { items, segments: segmentTop.size };
  }
}
