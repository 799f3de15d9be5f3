/**
 * ClickHouse schema, as ordered migrations. SQL stays within ClickHouse 18.16 (the Debian
 * package) and also runs on current servers: no window functions, DateTime64, Map or TTL.
 */
export interface Migration {
  id: number;
  name: string;
  statements: string[];
}

const stat = (name: string) => `${name} UInt64`;
const ITEM_STAT_COLUMNS = ['impressions', 'plays', 'watch_ms', 'completions', 'likes', 'shares', 'comments', 'follows', 'skips', 'not_interested', 'product_clicks', 'add_to_carts', 'purchases'];

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'events',
    statements: [
      // Deduplication happens before insert (see ingest/): Kafka replays are skipped by the
      // partition offsets stored on each row, client retries by a recent-event-id window.
      // ReplacingMergeTree is the last line: merges collapse any duplicate that slipped through.
      `CREATE TABLE IF NOT EXISTS events (
        event_id String,
        schema_version UInt8,
        kind String,
        user_id String,
        item_id String,
        product_id String,
        creator_id String,
        live_id String,
        ts DateTime,
        ts_ms UInt64,
        watch_ms UInt32,
        duration_ms UInt32,
        price Float64,
        quantity UInt32,
        request_id String,
        position Int32,
        app String,
        device String,
        locale String,
        kafka_partition UInt32,
        kafka_offset UInt64,
        ingested_at DateTime
      ) ENGINE = ReplacingMergeTree(ingested_at)
      PARTITION BY toYYYYMMDD(ts)
      ORDER BY (user_id, ts, event_id)`,
    ],
  },
  {
    id: 2,
    name: 'catalog',
    statements: [
      `CREATE TABLE IF NOT EXISTS creators (
        creator_id String, name String, locale String, category String,
        is_kol UInt8, followers UInt32, updated_at DateTime
      ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY creator_id`,
      `CREATE TABLE IF NOT EXISTS items (
        item_id String, creator_id String, title String, category String, locale String,
        duration_ms UInt32, published_at DateTime, product_id String, available UInt8, updated_at DateTime
      ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY item_id`,
      `CREATE TABLE IF NOT EXISTS products (
        product_id String, title String, category String, price Float64, currency String,
        image_url String, seller_id String, stock UInt32, available UInt8, updated_at DateTime
      ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY product_id`,
      `CREATE TABLE IF NOT EXISTS live_streams (
        live_id String, creator_id String, product_id String, title String,
        starts_at DateTime, ends_at DateTime, updated_at DateTime
      ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY live_id`,
      `CREATE TABLE IF NOT EXISTS users (
        user_id String, locale String, segment String, created_at DateTime, updated_at DateTime
      ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY user_id`,
      // kind: 'friend' (stored in both directions) or 'follow' (user -> creator).
      `CREATE TABLE IF NOT EXISTS social_edges (
        kind String, src String, dst String, active UInt8, updated_at DateTime
      ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (kind, src, dst)`,
    ],
  },
  {
    id: 3,
    name: 'stats views',
    statements: [
      `CREATE TABLE IF NOT EXISTS item_stats_hourly (
        item_id String, hour DateTime, ${ITEM_STAT_COLUMNS.map(stat).join(', ')}, gmv Float64
      ) ENGINE = SummingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (item_id, hour)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS item_stats_hourly_mv TO item_stats_hourly AS
       SELECT item_id, toStartOfHour(ts) AS hour,
         countIf(kind = 'impression') AS impressions,
         countIf(kind = 'play') AS plays,
         sumIf(toUInt64(watch_ms), kind = 'play') AS watch_ms,
         countIf(kind = 'complete') AS completions,
         countIf(kind = 'like') AS likes,
         countIf(kind = 'share') AS shares,
         countIf(kind = 'comment') AS comments,
         countIf(kind = 'follow') AS follows,
         countIf(kind = 'skip') AS skips,
         countIf(kind = 'not_interested') AS not_interested,
         countIf(kind = 'product_click') AS product_clicks,
         countIf(kind = 'add_to_cart') AS add_to_carts,
         countIf(kind = 'purchase') AS purchases,
         sumIf(price * quantity, kind = 'purchase') AS gmv
       FROM events WHERE item_id != '' GROUP BY item_id, hour`,
      `CREATE TABLE IF NOT EXISTS user_stats_daily (
        user_id String, day Date, events UInt64, plays UInt64, watch_ms UInt64, completions UInt64,
        likes UInt64, shares UInt64, purchases UInt64, gmv Float64
      ) ENGINE = SummingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (user_id, day)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS user_stats_daily_mv TO user_stats_daily AS
       SELECT user_id, toDate(ts) AS day,
         count() AS events,
         countIf(kind = 'play') AS plays,
         sumIf(toUInt64(watch_ms), kind = 'play') AS watch_ms,
         countIf(kind = 'complete') AS completions,
         countIf(kind = 'like') AS likes,
         countIf(kind = 'share') AS shares,
         countIf(kind = 'purchase') AS purchases,
         sumIf(price * quantity, kind = 'purchase') AS gmv
       FROM events GROUP BY user_id, day`,
      // Creator stats roll item stats up through the catalog at read time.
      `CREATE VIEW IF NOT EXISTS creator_stats AS
       SELECT creator_id,
         sum(impressions) AS impressions, sum(plays) AS plays, sum(watch_ms) AS watch_ms,
         sum(completions) AS completions, sum(likes) AS likes, sum(shares) AS shares,
         sum(follows) AS follows, sum(purchases) AS purchases, sum(gmv) AS gmv
       FROM item_stats_hourly
       ANY INNER JOIN (SELECT item_id, creator_id FROM items) USING (item_id)
       GROUP BY creator_id`,
    ],
  },
  {
    id: 4,
    name: 'experiment exposures',
    statements: [
      // One row per entry served under an experiment, with its arm (experiments/exposures.ts):
      // events join it by request_id (and entry) for attribution, by user for the assignment.
      `CREATE TABLE IF NOT EXISTS experiment_exposures (
        experiment_id String, arm String, user_id String, request_id String, session_id String,
        entry_key String, position Int32, ts DateTime
      ) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (experiment_id, request_id, position)`,
    ],
  },
];
