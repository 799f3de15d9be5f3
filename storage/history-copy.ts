import type { Config } from '../config/schema.ts';
import { createClickHouse, migrate } from './clickhouse.ts';

/** The catalog and social tables a copied world shares with its source, row for row. */
const CATALOG_TABLES = ['creators', 'items', 'products', 'live_streams', 'users', 'social_edges'];

/**
 * Replaces `target`'s database with `source`'s catalog and `copies` times its event history, each
 * copy shifted `shiftDays` further into the past with its own event ids: a long history of the
 * same people and videos (the simulator cannot produce one: its videos are at most 60 days old).
 * Returns the events written.
 */
export async function copyHistory(source: Config, target: Config, copies: number, shiftDays: number): Promise<number> {
  const from = source.clickhouse.database;
  const to = target.clickhouse.database;
  const admin = createClickHouse(target, 'system');
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${to}` });
  } finally {
    await admin.close();
  }
  await migrate(target);
  const ch = createClickHouse(target);
  try {
    for (const table of CATALOG_TABLES) await ch.command({ query: `INSERT INTO ${to}.${table} SELECT * FROM ${from}.${table}` });
    // Events are partitioned by day, and an insert may touch at most 100 partitions: copy 90 days at a time.
    const chunks = await (await ch.query({ query: `SELECT DISTINCT intDiv(toRelativeDayNum(ts), 90) AS c FROM ${from}.events ORDER BY c`, format: 'JSONEachRow' })).json<{ c: number }>();
    // This server predates `SELECT * REPLACE`: list the columns, shifting the three that change.
    const columns = await (await ch.query({ query: `DESCRIBE TABLE ${from}.events`, format: 'JSONEachRow' })).json<{
      name: string;
    }>();
    for (let k = 0; k < copies; k++) {
      const shifted: Record<string, string> = {
        event_id: `concat(event_id, '~${k}')`,
        ts: `ts - INTERVAL ${k * shiftDays} DAY`,
        ts_ms: `ts_ms - ${k * shiftDays * 86_400_000}`,
      };
      const select = columns.map(({ name }) => shifted[name] ?? name).join(', ');
      for (const { c } of chunks) {
        await ch.command({
          query: `INSERT INTO ${to}.events SELECT ${select} FROM ${from}.events WHERE intDiv(toRelativeDayNum(ts), 90) = ${Number(c)}`,
        });
      }
    }
    const [row] = await (await ch.query({ query: `SELECT count() AS n FROM ${to}.events`, format: 'JSONEachRow' })).json<{ n: string }>();
    return Number(row?.n ?? 0);
  } finally {
    await ch.close();
  }
}
