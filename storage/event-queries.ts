import type { ClickHouseClient } from '@clickhouse/client';
import { sleep } from '../core/errors.ts';
import { queryRows, runCommand, sql } from './sql.ts';

/** One row of the ClickHouse `events` table, as JSONEachRow (DateTime as epoch seconds). */
export interface EventRow {
  event_id: string;
  schema_version: number;
  kind: string;
  user_id: string;
  item_id: string;
  product_id: string;
  creator_id: string;
  live_id: string;
  ts: number;
  ts_ms: number;
  watch_ms: number;
  duration_ms: number;
  price: number;
  quantity: number;
  request_id: string;
  /** -1 when the client sent no position. */
  position: number;
  app: string;
  device: string;
  locale: string;
  kafka_partition: number;
  kafka_offset: number;
  ingested_at: number;
}

/** An event as the online state reads it back (`ts_ms` is UInt64, so a string in JSON). */
export type OnlineRow = Pick<EventRow, 'event_id' | 'kind' | 'user_id' | 'item_id' | 'product_id' | 'creator_id' | 'live_id' | 'watch_ms' | 'duration_ms' | 'price' | 'quantity'> & { ts_ms: string };

/** The newest `limit` events since `sinceSec` (epoch seconds), newest first. */
export function recentEvents(client: ClickHouseClient, sinceSec: number, limit: number): Promise<OnlineRow[]> {
  return queryRows<OnlineRow>(
    client,
    sql`SELECT event_id, kind, user_id, item_id, product_id, creator_id, live_id, toString(ts_ms) AS ts_ms, watch_ms, duration_ms, price, quantity
        FROM events WHERE ts >= toDateTime(${sinceSec})
        ORDER BY ts_ms DESC LIMIT ${limit}`,
  );
}

/** Per Kafka partition, the offset after the highest one stored (where a reader continues from). */
export async function nextOffsets(client: ClickHouseClient): Promise<Map<number, string>> {
  const rows = await queryRows<{ p: number; next: string }>(client, sql`SELECT kafka_partition AS p, toString(max(kafka_offset) + 1) AS next FROM events GROUP BY kafka_partition`);
  return new Map(rows.map((o) => [Number(o.p), o.next]));
}

/** Per user segment, the `limit` items with the most events of `kinds` over the last `days`, most first. */
export function popularBySegment(client: ClickHouseClient, kinds: readonly string[], days: number, limit: number): Promise<{ segment: string; item_id: string }[]> {
  return queryRows<{ segment: string; item_id: string }>(
    client,
    sql`SELECT segment, item_id, count() AS n
        FROM events ANY INNER JOIN (SELECT user_id, segment FROM users FINAL) USING (user_id)
        WHERE has(${kinds}, kind) AND item_id != ''
          AND ts > now() - ${days * 86_400}
        GROUP BY segment, item_id
        ORDER BY segment, n DESC
        LIMIT ${limit} BY segment`,
  );
}

/** Deletes the events whose ids start with `prefix` (a benchmark's own traffic), waiting for the mutation; returns how many there were. */
export async function deleteEventsByIdPrefix(client: ClickHouseClient, prefix: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(client, sql`SELECT toString(count()) AS n FROM events WHERE startsWith(event_id, ${prefix})`);
  const n = Number(row?.n ?? 0);
  if (n === 0) return 0;
  await runCommand(client, sql`ALTER TABLE events DELETE WHERE startsWith(event_id, ${prefix})`);
  // The server here predates mutations_sync: wait for the mutation by asking.
  for (;;) {
    const [pending] = await queryRows<{ n: string }>(client, sql`SELECT toString(count()) AS n FROM system.mutations WHERE database = currentDatabase() AND table = 'events' AND is_done = 0`);
    if (Number(pending?.n ?? 0) === 0) return n;
    await sleep(250);
  }
}
