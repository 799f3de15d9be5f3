import type { ClickHouseClient } from '@clickhouse/client';
import { wrapError, withContext } from '../core/errors.ts';
import { queryRows, sql, streamRows } from './sql.ts';

/** One row of the events table, as training reads it (ts in epoch ms); `Kind` narrows the kind where the event schema is known. */
export interface EventRow<Kind extends string = string> {
  kind: Kind;
  user_id: string;
  item_id: string;
  product_id: string;
  creator_id: string;
  ts_ms: number;
  watch_ms: number;
  duration_ms: number;
  locale: string;
}

/** One UTC day of events (`day`: days since the epoch), the unit training streams in time order. */
export interface EventDay {
  day: number;
  events: number;
}

const DAY_S = 86_400;

/**
 * Deduplicated events per UTC day, oldest first. Reading day by day lets the server prune
 * partitions and sort one day at a time, however long the history.
 */
export function eventDays(client: ClickHouseClient): Promise<EventDay[]> {
  return withContext('counting events per day for training', async () => {
    const rows = await queryRows<{ day: number | string; n: number | string }>(client, sql`SELECT intDiv(toUInt32(ts), 86400) AS day, count() AS n FROM events FINAL GROUP BY day ORDER BY day`);
    return rows.map((r) => ({ day: Number(r.day), events: Number(r.n) }));
  });
}

/** The time (epoch ms) of the `index`-th event of `day` in time order (0-based). */
export function eventTimeAt(client: ClickHouseClient, day: number, index: number): Promise<number> {
  return withContext(`finding the time of event ${index} of day ${day}`, async () => {
    const [row] = await queryRows<{ ts_ms: string }>(
      client,
      sql`SELECT toString(arrayElement(arraySort(groupArray(ts_ms)), ${index + 1})) AS ts_ms
          FROM events FINAL WHERE ts >= toDateTime(${day * DAY_S}) AND ts < toDateTime(${(day + 1) * DAY_S})`,
    );
    if (!row) throw new Error('no such event');
    return Number(row.ts_ms);
  });
}

/** The events of one day in time order (ties by event id), in batches as the server sends them. */
export async function* eventsOfDay(client: ClickHouseClient, day: number): AsyncGenerator<EventRow[]> {
  const rows = streamRows<Record<string, string | number>>(
    client,
    sql`SELECT kind, user_id, item_id, product_id, creator_id, toString(ts_ms) AS ts_ms, watch_ms, duration_ms, locale
        FROM events FINAL WHERE ts >= toDateTime(${day * DAY_S}) AND ts < toDateTime(${(day + 1) * DAY_S})
        ORDER BY ts_ms, event_id`,
  );
  try {
    for await (const batch of rows) {
      yield batch.map((j) => ({
        kind: String(j.kind),
        user_id: String(j.user_id),
        item_id: String(j.item_id),
        product_id: String(j.product_id),
        creator_id: String(j.creator_id),
        ts_ms: Number(j.ts_ms),
        watch_ms: Number(j.watch_ms),
        duration_ms: Number(j.duration_ms),
        locale: String(j.locale),
      }));
    }
  } catch (err) {
    throw wrapError(`streaming the events of day ${day} for training`, err);
  }
}
