import type { ClickHouseClient } from './clickhouse.ts';
import { queryRows, sql } from './sql.ts';

/**
 * What the team dashboard reads from ClickHouse: events and catalog writes per time bucket,
 * totals, session watch time, and demo users. Windows and buckets are in seconds.
 */

/** Sessions end after this much inactivity. */
const SESSION_GAP_S = 30 * 60;

export interface BucketCount {
  /** Bucket start, epoch seconds. */
  t: number;
  kind: string;
  n: string;
}

/** Tables whose writes the dashboard charts; constants, so they may be written into the SQL text. */
const CATALOG_TABLES = ['items', 'products', 'creators', 'live_streams'] as const;

/** Events per bucket and kind. Buckets are aligned to UTC epoch multiples, so minutes, hours and days mean the same everywhere. */
export function eventsPerBucket(client: ClickHouseClient, windowS: number, bucketS: number): Promise<BucketCount[]> {
  return queryRows<BucketCount>(
    client,
    sql`SELECT toUInt32(intDiv(toUInt32(ts), ${bucketS}) * ${bucketS}) AS t, kind, count() AS n
        FROM events WHERE ts >= now() - ${windowS} GROUP BY t, kind ORDER BY t, kind`,
  );
}

/** Catalog rows written per bucket, `kind` being the table (repeated writes of one id that ClickHouse already merged count once). */
export function catalogWritesPerBucket(client: ClickHouseClient, windowS: number, bucketS: number): Promise<BucketCount[]> {
  const since = (table: string) => `SELECT toUInt32(intDiv(toUInt32(updated_at), ${bucketS}) * ${bucketS}) AS t, '${table}' AS kind FROM ${table} WHERE updated_at >= now() - ${windowS}`;
  return queryRows<BucketCount>(client, {
    strings: [`SELECT t, kind, count() AS n FROM (${CATALOG_TABLES.map(since).join(' UNION ALL ')}) GROUP BY t, kind ORDER BY t, kind`],
    values: [],
  });
}

export type EventTotals = Record<'events' | 'users' | 'impressions' | 'plays' | 'completions' | 'likes' | 'shares' | 'product_clicks' | 'purchases' | 'gmv' | 'watch_ms', string | number>;

/** Counts by kind, users, GMV and watch time over the window (empty if the server returns no row). */
export async function eventTotals(client: ClickHouseClient, windowS: number): Promise<Partial<EventTotals>> {
  const rows = await queryRows<EventTotals>(
    client,
    sql`SELECT count() AS events, uniq(user_id) AS users,
       countIf(kind = 'impression') AS impressions, countIf(kind = 'play') AS plays,
       countIf(kind = 'complete') AS completions, countIf(kind = 'like') AS likes,
       countIf(kind = 'share') AS shares, countIf(kind = 'product_click') AS product_clicks,
       countIf(kind = 'purchase') AS purchases, sumIf(price * quantity, kind = 'purchase') AS gmv,
       sumIf(toUInt64(watch_ms), kind = 'play') AS watch_ms
     FROM events WHERE ts >= now() - ${windowS}`,
  );
  return rows[0] ?? {};
}

/**
 * Watch time of each session in the window. A session is a user's run of events with no gap
 * longer than SESSION_GAP_S; arrays instead of window functions so that it runs on ClickHouse 18.16.
 */
export async function sessionWatchMs(client: ClickHouseClient, windowS: number): Promise<number[]> {
  const rows = await queryRows<{ watch_ms: string }>(
    client,
    sql`SELECT sum(w) AS watch_ms FROM (
       SELECT user_id, arraySort(e -> e.1, groupArray((toUInt32(ts), if(kind = 'play', toUInt64(watch_ms), toUInt64(0))))) AS evs,
         arrayCumSum(arrayMap(d -> if(d > ${SESSION_GAP_S}, 1, 0), arrayDifference(arrayMap(e -> toInt64(e.1), evs)))) AS idx
       FROM events WHERE ts >= now() - ${windowS} GROUP BY user_id
     ) ARRAY JOIN arrayMap(e -> e.2, evs) AS w, idx AS session
     GROUP BY user_id, session`,
  );
  return rows.map((r) => Number(r.watch_ms ?? 0));
}

export interface DemoUser {
  user_id: string;
  locale: string;
  segment: string;
  events: number;
}

/** Catalog users, the most active in the last week first, then any (up to 100). */
export async function mostActiveUsers(client: ClickHouseClient): Promise<DemoUser[]> {
  const rows = await queryRows<Omit<DemoUser, 'events'> & { events: string }>(
    client,
    sql`SELECT u.user_id AS user_id, u.locale AS locale, u.segment AS segment, a.events AS events
     FROM (SELECT user_id, any(locale) AS locale, any(segment) AS segment FROM users GROUP BY user_id) AS u
     ANY LEFT JOIN (SELECT user_id, count() AS events FROM events WHERE ts >= now() - INTERVAL 7 DAY GROUP BY user_id) AS a
     USING (user_id)
     ORDER BY events DESC, user_id LIMIT 100`,
  );
  return rows.map((u) => ({ ...u, events: Number(u.events ?? 0) }));
}
