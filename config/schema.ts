import { z } from 'zod';
import { ModelsConfigSchema } from './sections/models.ts';
import { RankerConfigSchema } from './sections/ranker.ts';
import { OnlineConfigSchema } from './sections/online.ts';
import { SimulatorConfigSchema } from './sections/simulator.ts';
import { ExperimentsConfigSchema } from './sections/experiments.ts';

const port = z.number().int().min(1).max(65535);
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

const ApiKeySchema = z.object({
  key: z.string().min(8, 'API keys must be at least 8 characters'),
  app: z.string().min(1),
  admin: z.boolean().default(false),
  /** May create, update and retire catalog rows (items, products, creators, live streams); admin implies it. */
  publisher: z.boolean().default(false),
  /** Requests per minute allowed for this key. */
  rateLimitPerMinute: z.number().int().positive().default(6000),
  /** GET /v1/feed requests per minute allowed for one user_id of this key (one client must not spend the app's budget). */
  userRateLimitPerMinute: z.number().int().positive().default(1200),
});

const KafkaConfigSchema = z
  .object({
    /** Set from KAFKA_BROKERS: an existing cluster, so the local broker is not started. */
    external: z.boolean().default(false),
    brokers: z.array(hostPort).min(1).default(['127.0.0.1:19092']),
    controllerPort: port.default(19093),
    clientId: z.string().min(1).default('feed-engine'),
    topic: z.string().min(1).default('engagement'),
    deadLetterTopic: z.string().min(1).default('engagement.dlq'),
    /** Catalog writes and user deletions, keyed by `<kind>:<id>`, compacted (ingest/catalog-writes.ts). */
    catalogTopic: z.string().min(1).default('catalog'),
    partitions: z.number().int().min(1).max(256).default(4),
    replicationFactor: z.number().int().min(1).default(1),
    heapMb: z.number().int().min(128).default(512),
    /**
     * Brokers the local stack runs (KRaft, each broker also a controller): 1, or 3 for a cluster
     * that survives one broker (`feed stack up --kafka-brokers 3`). With N, `brokers` lists N
     * addresses (broker i listens on the i-th, its controller on controllerPort + i) and topics get
     * replication factor 3 with min.insync.replicas 2.
     */
    localBrokers: z.number().int().min(1).max(5).default(1),
  })
  .refine((k) => k.external || k.brokers.length === k.localBrokers, {
    message: 'a local stack of N brokers needs N addresses in kafka.brokers',
    path: ['brokers'],
  });

const ClickHouseConfigSchema = z.object({
  /** Set from CLICKHOUSE_URL: an existing server, so the local one is not started. */
  external: z.boolean().default(false),
  url: z.url().default('http://127.0.0.1:18123'),
  tcpPort: port.default(19000),
  username: z.string().default('default'),
  password: z.string().default(''),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('feed'),
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /**
   * Sharded layout: the servers of the cluster, each with its HTTP URL (migrations run on every
   * one) and native host:port (for the `remote_servers` entry). Empty: one server, plain tables.
   * `url` stays the entry point for inserts and queries and should be one of them.
   */
  shards: z.array(z.object({ url: z.url(), tcp: hostPort })).default([]),
  /** Cluster name in each server's `remote_servers` (the local stack writes it). */
  cluster: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('feed'),
});

export const ApiConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: port.default(8080),
  /** Serving processes sharing the port (`feed serve`); one event loop per core. Each holds its own catalog and models. */
  workers: z.number().int().min(1).max(64).default(1),
  keys: z
    .array(ApiKeySchema)
    .min(1)
    .default([
      { key: 'demo-app-key', app: 'demo', admin: false, publisher: false, rateLimitPerMinute: 6000, userRateLimitPerMinute: 1200 },
      { key: 'demo-admin-key', app: 'admin', admin: true, publisher: false, rateLimitPerMinute: 6000, userRateLimitPerMinute: 1200 },
      { key: 'demo-publisher-key', app: 'studio', admin: false, publisher: true, rateLimitPerMinute: 6000, userRateLimitPerMinute: 1200 },
    ]),
  /** Failed authentications per minute (and at once) allowed from one client address before it gets 429. */
  authFailuresPerMinute: z.number().int().positive().default(30),
  /** HMAC secret for feed cursors; replicas of one deployment must share it. */
  cursorSecret: z.string().min(16).default('local-dev-cursor-secret-change-me'),
  maxBodyBytes: z.number().int().positive().default(1_048_576),
  maxEventsPerBatch: z.number().int().min(1).max(10_000).default(500),
});

const IngestConfigSchema = z.object({
  groupId: z.string().min(1).default('feed-ingest'),
  /** Largest number of events inserted into ClickHouse in one statement. */
  maxBatchEvents: z.number().int().positive().default(20_000),
  retryInitialMs: z.number().int().positive().default(200),
  retryMaxMs: z.number().int().positive().default(10_000),
  /** How many recent event ids each consumer remembers to drop client-side duplicates. */
  recentIdsPerPartition: z.number().int().positive().default(200_000),
  /** POST /v1/events answers 503 when Kafka has not acknowledged within this time. */
  produceTimeoutMs: z.number().int().positive().default(10_000),
  /** Events of one user sent together share a Kafka message (newline-delimited JSON); 1 = one event per message. */
  maxEventsPerMessage: z.number().int().min(1).max(1_000).default(100),
});

export const ConfigSchema = z.object({
  /** Everything the local stack writes (Kafka logs, ClickHouse data, models) lives here. */
  dataDir: z.string().min(1).default('.data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seed of the demo world and of training. */
  seed: z.number().int().default(42),
  kafka: KafkaConfigSchema.prefault({}),
  clickhouse: ClickHouseConfigSchema.prefault({}),
  api: ApiConfigSchema.prefault({}),
  ingest: IngestConfigSchema.prefault({}),
  online: OnlineConfigSchema.prefault({}),
  ranker: RankerConfigSchema.prefault({}),
  models: ModelsConfigSchema.prefault({}),
  simulator: SimulatorConfigSchema.prefault({}),
  experiments: ExperimentsConfigSchema.prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
