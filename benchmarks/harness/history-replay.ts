/**
 * Benchmark users' own simulated history, replayed as live events: the world's ClickHouse holds
 * each user's engagement from the simulator (lengths vary with activity), and the feed and memory
 * benchmarks post it again, shifted to now, so the online state, trending and online training
 * work as on a live service.
 */
import type { Config } from '../../config/schema.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import type { OnlineRow } from '../../storage/event-queries.ts';
import { queryRows, sql } from '../../storage/sql.ts';

/** Most recent events per user replayed before measuring: what the online state keeps per user (online.recentPerUser). */
export const HISTORY_CAP = 100;

/** A replayed event as read back from ClickHouse. */
export type EventRow = Omit<OnlineRow, 'event_id'>;

/** The users' own simulated history from the world's ClickHouse, newest HISTORY_CAP events each, oldest first. */
export async function recentHistory(config: Config, users: string[]): Promise<Map<string, EventRow[]>> {
  const ch = createClickHouse(config);
  try {
    const byUser = new Map<string, EventRow[]>();
    // A thousand users per query keeps the bound list well inside a URL.
    for (let i = 0; i < users.length; i += 1000) {
      const rows = await queryRows<EventRow>(
        ch,
        sql`SELECT user_id, kind, item_id, product_id, creator_id, live_id, toString(ts_ms) AS ts_ms, watch_ms, duration_ms, price, quantity
            FROM events WHERE has(${users.slice(i, i + 1000)}, user_id) ORDER BY user_id, ts_ms DESC LIMIT ${HISTORY_CAP} BY user_id`,
      );
      for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r]);
    }
    for (const list of byUser.values()) list.reverse();
    return byUser;
  } finally {
    await ch.close();
  }
}

/**
 * A user's history as API events, shifted in time so the newest lands `endMs` (gaps kept), with
 * new event ids: the same engagement, happening now, so trending and the online counters see it.
 */
export function replayedEvents(rows: readonly EventRow[], tag: string, endMs: number): Record<string, unknown>[] {
  if (!rows.length) return [];
  const shift = endMs - Number(rows[rows.length - 1]!.ts_ms);
  return rows.map((r, k) => {
    const e: Record<string, unknown> = { event_id: `${tag}.${r.user_id}.${k}`, kind: r.kind, user_id: r.user_id, ts: Number(r.ts_ms) + shift };
    for (const f of ['item_id', 'product_id', 'creator_id', 'live_id'] as const) if (r[f]) e[f] = r[f];
    if (r.kind === 'play') Object.assign(e, { watch_ms: r.watch_ms, duration_ms: r.duration_ms });
    if (r.kind === 'purchase') Object.assign(e, { price: r.price, quantity: r.quantity });
    return e;
  });
}

/** POSTs events to a server's /v1/events in batches, `concurrency` in flight; any rejection fails the run. */
export async function postEvents(url: string, apiKey: string, events: readonly Record<string, unknown>[], batchSize: number, concurrency = 4): Promise<void> {
  let next = 0;
  const post = async () => {
    while (next < events.length) {
      const batch = events.slice(next, next + batchSize);
      next += batchSize;
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch }),
      });
      const body = (await res.json()) as { rejected?: unknown[] };
      if (res.status !== 200 || body.rejected?.length) throw new Error(`POST /v1/events: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, post));
}
