import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.ts';
import { shardStatement } from './sharded-schema.ts';

const layout = () => {
  const tables = new Set<string>();
  return (statement: string) => shardStatement(statement, 'feed', 'db', tables);
};

describe('the sharded layout of the migrations', () => {
  it('turns each table into a local table plus a Distributed one sharded by its sorting key', () => {
    const shard = layout();
    const [local, distributed] = shard(`CREATE TABLE IF NOT EXISTS social_edges (
        kind String, src String, dst String, active UInt8, updated_at DateTime
      ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (kind, src, dst)`);
    expect(local).toMatch(/^CREATE TABLE IF NOT EXISTS social_edges_local \(/);
    expect(local).toContain('ENGINE = ReplacingMergeTree(updated_at) ORDER BY (kind, src, dst)');
    expect(distributed).toBe('CREATE TABLE IF NOT EXISTS social_edges AS social_edges_local ENGINE = Distributed(feed, db, social_edges_local, cityHash64(kind, src, dst))');
    expect(shard('CREATE TABLE IF NOT EXISTS items (item_id String) ENGINE = ReplacingMergeTree ORDER BY item_id')[1]).toContain('cityHash64(item_id)');
  });

  it('points materialized views at local tables, and alters both tables of a sharded one', () => {
    const shard = layout();
    shard('CREATE TABLE IF NOT EXISTS events (item_id String) ENGINE = MergeTree ORDER BY item_id');
    shard('CREATE TABLE IF NOT EXISTS stats (item_id String) ENGINE = SummingMergeTree() ORDER BY item_id');
    expect(shard('CREATE MATERIALIZED VIEW IF NOT EXISTS stats_mv TO stats AS SELECT item_id FROM events GROUP BY item_id')).toEqual([
      'CREATE MATERIALIZED VIEW IF NOT EXISTS stats_mv TO stats_local AS SELECT item_id FROM events_local GROUP BY item_id',
    ]);
    expect(shard('ALTER TABLE events ADD COLUMN x UInt8')).toEqual(['ALTER TABLE events_local ADD COLUMN x UInt8', 'ALTER TABLE events ADD COLUMN x UInt8']);
    expect(shard('CREATE VIEW IF NOT EXISTS v AS SELECT * FROM stats')).toEqual(['CREATE VIEW IF NOT EXISTS v AS SELECT * FROM stats']);
  });

  it('lays out every migration: each table distributed, no view left reading or writing a distributed table', () => {
    const shard = layout();
    const statements = MIGRATIONS.flatMap((m) => m.statements.flatMap(shard));
    const created = statements.flatMap((s) => /^\s*CREATE TABLE IF NOT EXISTS (\w+) AS (\w+)_local ENGINE = Distributed/.exec(s)?.slice(1, 2) ?? []);
    expect(created).toEqual(expect.arrayContaining(['events', 'items', 'item_stats_hourly', 'user_stats_daily']));
    for (const s of statements.filter((x) => /MATERIALIZED VIEW/.test(x))) {
      expect(s).toMatch(/TO \w+_local AS/);
      expect(s).toMatch(/FROM events_local/);
    }
  });
});
