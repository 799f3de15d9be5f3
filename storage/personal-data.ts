import { sql, type SqlFragment } from './sql.ts';

/** What is held about a person, table by table: the rows that name them. */
export function personalData(id: string): { table: string; select: SqlFragment; remove: SqlFragment }[] {
  return [
    { table: 'users', select: sql`SELECT * FROM users FINAL WHERE user_id = ${id}`, remove: sql`ALTER TABLE users DELETE WHERE user_id = ${id}` },
    {
      table: 'events',
      select: sql`SELECT * FROM events FINAL WHERE user_id = ${id} ORDER BY ts_ms`,
      remove: sql`ALTER TABLE events DELETE WHERE user_id = ${id}`,
    },
    {
      table: 'social_edges',
      select: sql`SELECT * FROM social_edges FINAL WHERE src = ${id} OR (kind = 'friend' AND dst = ${id})`,
      remove: sql`ALTER TABLE social_edges DELETE WHERE src = ${id} OR (kind = 'friend' AND dst = ${id})`,
    },
    {
      table: 'user_stats_daily',
      select: sql`SELECT * FROM user_stats_daily WHERE user_id = ${id} ORDER BY day`,
      remove: sql`ALTER TABLE user_stats_daily DELETE WHERE user_id = ${id}`,
    },
  ];
}
