import { Readable } from 'node:stream';
import type { ClickHouseClient } from './clickhouse.ts';
import { queryRows, sql } from './sql.ts';

/**
 * What the ingest consumer reads and writes in `events` to store each Kafka message once:
 * the stored offsets of a partition and the events they hold, and the insert itself.
 */

/** An event as identified for deduplication: (user_id, event_id). */
export interface StoredEventId {
  user_id: string;
  event_id: string;
}

/** Highest Kafka offset stored for `partition`; -1 when none is. */
export async function storedMaxOffset(client: ClickHouseClient, partition: number): Promise<number> {
  const [row] = await queryRows<{ n: string; max_offset: string }>(
    client,
    sql`SELECT toString(count()) AS n, toString(max(kafka_offset)) AS max_offset FROM events WHERE kafka_partition = ${partition}`,
  );
  return row && Number(row.n) > 0 ? Number(row.max_offset) : -1;
}

/** The last `limit` events stored for `partition`, newest first. */
export function latestStoredEvents(client: ClickHouseClient, partition: number, limit: number): Promise<StoredEventId[]> {
  return queryRows<StoredEventId>(client, sql`SELECT user_id, event_id FROM events WHERE kafka_partition = ${partition} ORDER BY kafka_offset DESC LIMIT ${limit}`);
}

/** Events stored for `partition` at offsets [lo, hi], with their offsets. */
export function storedEventsBetween(client: ClickHouseClient, partition: number, lo: number, hi: number): Promise<(StoredEventId & { o: string })[]> {
  return queryRows<StoredEventId & { o: string }>(
    client,
    sql`SELECT toString(kafka_offset) AS o, user_id, event_id FROM events
        WHERE kafka_partition = ${partition} AND kafka_offset >= ${lo} AND kafka_offset <= ${hi}`,
  );
}

/** One INSERT of prebuilt TabSeparated lines in `columns` order (a fresh stream per call, so a retry can repeat it). */
export async function insertEventLines(client: ClickHouseClient, lines: string, columns: readonly [string, ...string[]]): Promise<void> {
  await client.insert({ table: 'events', values: Readable.from([lines], { objectMode: false }), format: 'TabSeparated', columns: [...columns] });
}
