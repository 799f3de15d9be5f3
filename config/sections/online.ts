import { z } from 'zod';
import { withRenamedKeys } from '../renamed-keys.ts';

/** Bounds of the in-process online state and how the stream follower fills it. */
export const OnlineConfigSchema = withRenamedKeys(
  z.object({
    /** Users kept in memory (least recently active evicted first). */
    maxUsers: z.number().int().positive().default(200_000),
    /** Items with short-window counters (least recently engaged evicted first). */
    maxItems: z.number().int().positive().default(200_000),
    recentPerUser: z.number().int().positive().default(100),
    seenPerUser: z.number().int().positive().default(2_000),
    hiddenPerUser: z.number().int().positive().default(500),
    positivePerUser: z.number().int().positive().default(200),
    /** Event ids remembered so that the same event applied twice (HTTP and stream) counts once. */
    dedupWindow: z.number().int().positive().default(500_000),
    /**
     * Short window of the item counters and of trending (a sliding window over two aligned ones:
     * two rows of counters per item, whatever the traffic, so memory does not grow with time).
     */
    itemWindowMs: z.number().int().positive().default(3_600_000),
    /** Stream follower: how far back to bootstrap from ClickHouse on start, and a row cap. */
    bootstrapHours: z.number().positive().default(24),
    bootstrapMaxRows: z.number().int().min(0).default(1_000_000),
    /**
     * Where per-user state lives: `memory` (each replica its own copy, the default) or `redis`
     * (shared by all replicas; item counters and trending stay in process on each replica).
     * With `redis`, `maxUsers` caps the users Redis keeps.
     */
    store: z.enum(['memory', 'redis']).default('memory'),
    /** Set from ONLINE_STATE_URL: an existing Redis, so the stack starts none. */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'expected redis://host:port')
      .default('redis://127.0.0.1:16379'),
    redisExternal: z.boolean().default(false),
    /** Prefix of every key, so several deployments (or test files) can share one Redis. */
    redisKeyPrefix: z.string().default('feed:'),
    /** Event ids remembered per user in Redis for idempotence. */
    redisDedupPerUser: z.number().int().positive().default(2_000),
  }),
  // Trending used a ring of buckets whose maps grew with every minute of traffic.
  { trendingBucketMs: 'online.itemWindowMs', trendingBuckets: 'online.itemWindowMs' },
);

export type OnlineConfig = z.infer<typeof OnlineConfigSchema>;
