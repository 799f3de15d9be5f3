import { sleep } from '../core/errors.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import type { EngagementEvent, EventKind } from './events.ts';

const KINDS: EventKind[] = ['impression', 'play', 'complete', 'like', 'share', 'skip'];

/** A valid event; `i` picks its id, user, item and kind deterministically. */
export function makeEvent(i: number, prefix = 'ev', ts = Date.now()): EngagementEvent {
  const kind = KINDS[i % KINDS.length]!;
  return {
    schema_version: 1,
    event_id: `${prefix}-${i}`,
    kind,
    user_id: `u${i % 97}`,
    item_id: `i${i % 13}`,
    ts,
    ...(kind === 'play' ? { watch_ms: 1000 + (i % 7) * 100, duration_ms: 5000 } : {}),
  };
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export async function scalar(ch: ClickHouseClient, query: string): Promise<number> {
  const rows = await (await ch.query({ query: `SELECT toString((${query})) AS v`, format: 'JSONEachRow' })).json<{ v: string }>();
  return Number(rows[0]?.v);
}

/** Rows and distinct events (user_id, event_id) in `events`. */
export async function eventCounts(ch: ClickHouseClient): Promise<{ rows: number; distinct: number }> {
  return { rows: await scalar(ch, 'SELECT count() FROM events'), distinct: await scalar(ch, 'SELECT uniqExact(user_id, event_id) FROM events') };
}

/** Per-item aggregates from the materialized view and recomputed from raw events; equal when nothing was double counted. */
export async function itemStatsMismatch(ch: ClickHouseClient): Promise<unknown[]> {
  const rs = await ch.query({
    query: `SELECT item_id, v.impressions, r.impressions, v.plays, r.plays, v.watch_ms, r.watch_ms, v.completions, r.completions, v.likes, r.likes
      FROM (SELECT item_id, sum(impressions) AS impressions, sum(plays) AS plays, sum(watch_ms) AS watch_ms,
                   sum(completions) AS completions, sum(likes) AS likes FROM item_stats_hourly GROUP BY item_id) AS v
      FULL OUTER JOIN (SELECT item_id, toUInt64(countIf(kind = 'impression')) AS impressions, toUInt64(countIf(kind = 'play')) AS plays,
                   toUInt64(sumIf(toUInt64(watch_ms), kind = 'play')) AS watch_ms, toUInt64(countIf(kind = 'complete')) AS completions,
                   toUInt64(countIf(kind = 'like')) AS likes
            FROM (SELECT * FROM events FINAL) WHERE item_id != '' GROUP BY item_id) AS r USING (item_id)
      WHERE v.impressions != r.impressions OR v.plays != r.plays OR v.watch_ms != r.watch_ms OR v.completions != r.completions OR v.likes != r.likes`,
    format: 'JSONEachRow',
  });
  return rs.json();
}
