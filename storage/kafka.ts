import { createRequire } from 'node:module';
import { Kafka, logLevel, type Admin, type Consumer, type ITopicConfig, type Producer } from 'kafkajs';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { sleep, withContext } from '../core/errors.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const KAFKAJS_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs's own table of Kafka protocol errors, which the package does not export by name. */
const KAFKA_ERRORS = (createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; message: string; retriable: boolean }[] }).errorCodes;
/**
 * Messages of the errors kafkajs marks retriable and retries itself: "The coordinator is loading",
 * "The group coordinator is not available" and the like, which every broker start produces.
 */
const RETRIED_BY_KAFKAJS: ReadonlySet<string> = new Set(KAFKA_ERRORS.filter((e) => e.retriable).map((e) => e.message));
const OFFSET_OUT_OF_RANGE = KAFKA_ERRORS.find((e) => e.type === 'OFFSET_OUT_OF_RANGE')?.message;
const OFFSET_RESET = 'Offset out of range, resetting to default offset';

/**
 * The pino level for a kafkajs log line. kafkajs logs each failed attempt of a request it will
 * retry at error level; those are debug here (a failure that outlasts the retries reaches the
 * caller, which reports it). Everything else keeps its level.
 */
export function kafkaLogLevel(level: logLevel, entry: { message: string; error?: unknown; [key: string]: unknown }): 'error' | 'warn' | 'info' | 'debug' {
  const mapped = KAFKAJS_LEVELS[level] ?? 'info';
  if (mapped !== 'error' && mapped !== 'warn') return mapped;
  const retried = RETRIED_BY_KAFKAJS.has(entry.message) || (typeof entry.error === 'string' && RETRIED_BY_KAFKAJS.has(entry.error));
  if (retried) return 'debug';
  // A seek past the log's start (records removed by retention or a truncation) is handled by
  // kafkajs, which resets to the consumer's default offset: one warning for the reset, and the
  // fetch response that reported it at debug.
  if (entry.error === OFFSET_OUT_OF_RANGE) return 'debug';
  if (entry.message === OFFSET_RESET) return 'warn';
  return mapped;
}

/** A kafkajs client whose logs go through pino. */
export interface KafkaClientOptions {
  clientId?: string;
  retries?: number;
  /** No client logs at all; for health probes that are expected to fail. */
  quiet?: boolean;
}

export function createKafka(config: Config, opts: KafkaClientOptions = {}): Kafka {
  const log = childLogger('kafkajs');
  return new Kafka({
    clientId: opts.clientId ?? config.kafka.clientId,
    brokers: config.kafka.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    logLevel: opts.quiet ? logLevel.NOTHING : logLevel.WARN,
    retry: { initialRetryTime: 200, retries: opts.retries ?? 8 },
    logCreator:
      () =>
      ({ namespace, level, log: entry }) => {
        const { message, ...rest } = entry;
        log[kafkaLogLevel(level, entry)]({ namespace, ...rest }, message);
      },
  });
}

/**
 * An idempotent producer: acks = all by its callers, one request in flight, no topic
 * auto-creation. Idempotence needs unlimited retries, so callers bound their own waits.
 */
export function idempotentProducer(config: Config): Producer {
  return createKafka(config).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}

/** Creates the engagement, dead-letter and catalog topics when missing. */
export async function ensureTopics(config: Config, kafka = createKafka(config)): Promise<string[]> {
  const admin = kafka.admin();
  await withContext('connecting to Kafka admin', () => admin.connect());
  try {
    const existing = new Set(await admin.listTopics());
    const wanted: ITopicConfig[] = [
      { topic: config.kafka.topic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor },
      { topic: config.kafka.deadLetterTopic, numPartitions: 1, replicationFactor: config.kafka.replicationFactor },
      // Compacted: the newest write per id stays in the log for good, so the topic is the catalog's history.
      {
        topic: config.kafka.catalogTopic,
        numPartitions: config.kafka.partitions,
        replicationFactor: config.kafka.replicationFactor,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      // kafkajs's waitForLeaders takes one broker's first answer; ask until leaders are reported (a broker that
      // has not caught up yet is retried by subscribeFromStart).
      await withContext('creating Kafka topics', () => admin.createTopics({ topics: wanted, waitForLeaders: false }));
      await withContext('waiting for the new topics to have leaders', () =>
        waitForLeaders(
          admin,
          wanted.map((t) => t.topic),
        ),
      );
    }
    return wanted.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Subscribes from the beginning, retrying while Kafka calls the error retriable: on a cluster a
 * broker may not know a topic created a moment ago ("does not host this topic-partition").
 */
export async function subscribeFromStart(consumer: Consumer, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await consumer.subscribe({ topics, fromBeginning: true });
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics })
      .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** Asks the cluster for its brokers over one admin connection, kept open between checks. */
export interface KafkaProbe {
  /** True when the cluster lists a broker; rejects when unreachable (the connection is then dropped and rebuilt next time). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

export function kafkaProbe(config: Config, kafka = createKafka(config, { clientId: `${config.kafka.clientId}-health`, retries: 0, quiet: true })): KafkaProbe {
  let admin: Admin | undefined;
  return {
    async healthy() {
      const a = (admin ??= kafka.admin());
      try {
        await a.connect();
        const cluster = await a.describeCluster();
        return cluster.brokers.length > 0;
      } catch (err) {
        admin = undefined;
        await a.disconnect().catch(() => undefined);
        throw err;
      }
    },
    async close() {
      const a = admin;
      admin = undefined;
      await a?.disconnect();
    },
  };
}

/** Deletes a consumer group only this process used (a replica's follower), leaving nothing behind on the broker; failures are only logged. */
export async function deleteOwnGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch (err) {
    childLogger('kafka').debug({ err: (err as Error).message, groupId }, 'could not delete a consumer group');
  } finally {
    await admin.disconnect();
  }
}

/** One check on a connection of its own (the stack's start-up wait). */
export async function kafkaHealthy(config: Config): Promise<boolean> {
  const probe = kafkaProbe(config);
  try {
    return await probe.healthy();
  } finally {
    await probe.close();
  }
}
