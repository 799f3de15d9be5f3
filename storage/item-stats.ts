import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows, sql, streamRows } from './sql.ts';

/** All-time totals of one item from item_stats_hourly. */
export interface ItemStatsRow {
  item_id: string;
  impressions: number;
  plays: number;
  watch_ms: number;
  completions: number;
  likes: number;
  shares: number;
  skips: number;
  purchases: number;
  gmv: number;
}

/**
 * All-time totals per item, in batches as the server sends them. With `changedSinceSec`, only
 * the items with events ingested since then: re-reading every item parsed a row per item on a
 * serving process's event loop at each stats refresh, which showed as feed p99 stalls at 1M items.
 */
export function streamItemTotals(client: ClickHouseClient, changedSinceSec?: number): AsyncGenerator<ItemStatsRow[]> {
  const where = changedSinceSec === undefined ? sql`` : sql`WHERE item_id IN (SELECT item_id FROM events WHERE ingested_at >= toDateTime(${Math.floor(changedSinceSec)}) AND item_id != '')`;
  return streamRows<ItemStatsRow>(
    client,
    sql`SELECT item_id, sum(impressions) AS impressions, sum(plays) AS plays, sum(watch_ms) AS watch_ms,
          sum(completions) AS completions, sum(likes) AS likes, sum(shares) AS shares, sum(skips) AS skips,
          sum(purchases) AS purchases, sum(gmv) AS gmv
        FROM item_stats_hourly ${where}
        GROUP BY item_id`,
  );
}

/** The `limit` items with the most weighted engagement over the last `hours`, best first. */
export async function trendingSince(client: ClickHouseClient, hours: number, limit: number): Promise<{ item_id: string; score: number }[]> {
  const rows = await queryRows<{ item_id: string; score: number }>(
    client,
    sql`SELECT item_id, sum(completions + 2 * likes + 3 * shares + 5 * purchases + 0.1 * plays - 0.5 * skips) AS score
        FROM item_stats_hourly WHERE hour >= now() - ${hours * 3600}
        GROUP BY item_id HAVING score > 0 ORDER BY score DESC LIMIT ${limit}`,
  );
  return rows.map((r) => ({ item_id: r.item_id, score: Number(r.score) }));
}
