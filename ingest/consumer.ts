/**
 * The ingest consumer: Kafka `engagement` → ClickHouse `events`, at least once, without
 * double counting.
 *
 * Delivery: offsets are committed only after the ClickHouse insert (and any dead-letter
 * produce) of a batch succeeded, so a crash replays from the last commit and loses nothing.
 *
 * Deduplication, before insert (the stats materialized views count what is inserted, so a
 * duplicate must never reach the table):
 *  (a) Kafka replays. Every row stores `kafka_partition` and `kafka_offset`. When a partition
 *      is assigned, the consumer reads its highest stored offset; messages at or below it are
 *      looked up exactly (offset and event_id, in the batch's range) and skipped when present.
 *      The exact lookup, rather than "skip everything at or below the max", matters because an
 *      insert spanning several daily table partitions is not atomic: a failed insert may have
 *      written some of its rows. The same lookup runs before retrying a failed insert.
 *  (b) Client retries (same event_id sent twice, possibly in different requests): a bounded
 *      window of recent event_ids per Kafka partition (`ingest.recentIdsPerPartition`); a user's
 *      events always land on the same partition because messages are keyed by user_id. On
 *      assignment the window is refilled from the partition's latest stored rows.
 *  (c) The events table is a ReplacingMergeTree: merges collapse any duplicate that slipped
 *      through (e.g. a retry older than the window), so `count(DISTINCT event_id)` and FINAL
 *      reads stay exact even then.
 *
 * Unreadable messages (bad JSON, an unsupported schema_version, a failed schema check) go to
 * the dead-letter topic with the original key, payload and headers plus `dlq_*` headers, and
 * their offsets are committed with the batch.
 *
 * ClickHouse slow or down: the partition is paused and the insert retried with exponential
 * backoff (`ingest.retryInitialMs` … `ingest.retryMaxMs`) while heartbeats keep the group
 * membership; nothing is dropped and the process does not exit. On stop or rebalance during
 * an outage the batch is abandoned uncommitted and replayed later.
 */
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { sleep, withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { createKafka } from '../storage/kafka.ts';
import { EVENT_SCHEMA_VERSION, parseEvent, type EngagementEvent } from './events.ts';
import { RecentIds } from './recent-ids.ts';
import { eventToRow, type EventRow } from './rows.ts';

/** Payload versions this consumer can read; anything else is dead-lettered. */
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [EVENT_SCHEMA_VERSION];

const inserted = new Counter({ name: 'feed_ingest_events_inserted_total', help: 'Events inserted into ClickHouse', registers: [metrics] });
const duplicates = new Counter({
  name: 'feed_ingest_duplicates_skipped_total',
  help: 'Events not inserted because they were already stored',
  labelNames: ['reason'] as const,
  registers: [metrics],
});
const deadLettered = new Counter({ name: 'feed_ingest_dead_lettered_total', help: 'Messages sent to the dead-letter topic', registers: [metrics] });
const insertFailures = new Counter({ name: 'feed_ingest_insert_failures_total', help: 'Failed ClickHouse inserts (retried)', registers: [metrics] });
const insertSeconds = new Histogram({
  name: 'feed_ingest_insert_seconds',
  help: 'ClickHouse insert latency per statement',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metrics],
});
const lagGauge = new Gauge({
  name: 'feed_ingest_consumer_lag',
  help: 'Messages behind the partition high watermark after the last processed batch',
  labelNames: ['partition'] as const,
  registers: [metrics],
});

export interface IngestStats {
  inserted: number;
  duplicates: number;
  deadLettered: number;
  insertFailures: number;
  /** Lag per partition after its last batch. */
  lag: Record<number, number>;
}

export interface IngestConsumer {
  stats(): IngestStats;
  /** Finishes the batch in hand (or abandons it uncommitted during an outage), commits, disconnects. */
  stop(): Promise<void>;
}

interface PartitionState {
  /** Highest offset stored in ClickHouse when the partition was assigned; -1 when none. */
  storedMax: number;
  recent: RecentIds;
}

type Decoded = { ok: true; event: EngagementEvent } | { ok: false; reason: string };

/** Reads one Kafka message into an event, or says why it cannot be read. */
export function decodeMessage(m: KafkaMessage): Decoded {
  const header = m.headers?.schema_version;
  if (header !== undefined) {
    const v = Number(String(header));
    if (!SUPPORTED_SCHEMA_VERSIONS.includes(v)) return { ok: false, reason: `unsupported schema_version header ${String(header)}` };
  }
  if (!m.value || m.value.length === 0) return { ok: false, reason: 'empty payload' };
  let raw: unknown;
  try {
    raw = JSON.parse(m.value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `payload is not JSON: ${(err as Error).message}` };
  }
  const version = (raw as { schema_version?: unknown } | null)?.schema_version ?? EVENT_SCHEMA_VERSION;
  if (typeof version !== 'number' || !SUPPORTED_SCHEMA_VERSIONS.includes(version)) {
    return { ok: false, reason: `unsupported schema_version ${JSON.stringify(version)}` };
  }
  const parsed = parseEvent(raw);
  return parsed.ok ? parsed : { ok: false, reason: `invalid event: ${parsed.reason}` };
}

const int = (n: number): number => {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return n;
};

export async function startConsumer(config: Config): Promise<IngestConsumer> {
  const log = childLogger('ingest');
  const { topic, deadLetterTopic } = config.kafka;
  // Quiet: failures are retried and logged here once with context, not per request by the client.
  const ch: ClickHouseClient = createClickHouse(config, config.clickhouse.database, true);
  const kafka = createKafka(config);
  const consumer: Consumer = kafka.consumer({
    groupId: config.ingest.groupId,
    maxWaitTimeInMs: 250,
    // Short, so a killed consumer's partitions move on quickly; retries keep heartbeating.
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
  });
  const dlq: Producer = kafka.producer({ allowAutoTopicCreation: false });
  const states = new Map<number, PartitionState>();
  const stats: IngestStats = { inserted: 0, duplicates: 0, deadLettered: 0, insertFailures: 0, lag: {} };

  async function queryRows<T>(query: string): Promise<T[]> {
    const rs = await ch.query({ query, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async function loadPartition(partition: number): Promise<PartitionState> {
    const p = int(partition);
    const [row] = await queryRows<{ n: string; max_offset: string }>(
      `SELECT toString(count()) AS n, toString(max(kafka_offset)) AS max_offset FROM events WHERE kafka_partition = ${p}`,
    );
    const storedMax = row && Number(row.n) > 0 ? Number(row.max_offset) : -1;
    const recent = new RecentIds(config.ingest.recentIdsPerPartition);
    if (storedMax >= 0) {
      const ids = await queryRows<{ event_id: string }>(
        `SELECT event_id FROM events WHERE kafka_partition = ${p} ORDER BY kafka_offset DESC LIMIT ${int(config.ingest.recentIdsPerPartition)}`,
      );
      for (let i = ids.length - 1; i >= 0; i--) recent.add(ids[i]!.event_id);
    }
    log.info({ partition, storedMax, recentIds: recent.size }, 'partition assigned');
    return { storedMax, recent };
  }

  /** Offsets in [lo, hi] already stored for this partition, keyed `offset/event_id`. */
  async function storedKeys(partition: number, lo: number, hi: number): Promise<Set<string>> {
    const rows = await queryRows<{ o: string; event_id: string }>(
      `SELECT toString(kafka_offset) AS o, event_id FROM events
       WHERE kafka_partition = ${int(partition)} AND kafka_offset >= ${int(lo)} AND kafka_offset <= ${int(hi)}`,
    );
    return new Set(rows.map((r) => `${r.o}/${r.event_id}`));
  }

  async function insert(rows: EventRow[]): Promise<void> {
    const end = insertSeconds.startTimer();
    await ch.insert({ table: 'events', values: rows, format: 'JSONEachRow' });
    end();
  }

  /**
   * Runs `attempt` until it succeeds, pausing the partition and backing off between tries.
   * Returns false when the batch must be abandoned (stopping, or the partition was revoked).
   */
  async function retrying(what: string, payload: EachBatchPayload, attempt: (retry: boolean) => Promise<void>): Promise<boolean> {
    let failures = 0;
    let resume: (() => void) | undefined;
    let delay = config.ingest.retryInitialMs;
    for (;;) {
      try {
        await attempt(failures > 0);
        if (failures > 0) log.info({ partition: payload.batch.partition, failures }, `${what} succeeded after retrying`);
        resume?.();
        return true;
      } catch (err) {
        failures++;
        if (what === 'ClickHouse insert') {
          insertFailures.inc();
          stats.insertFailures++;
        }
        if (failures === 1 || failures % 10 === 0) {
          log.warn({ partition: payload.batch.partition, failures, retryInMs: delay, err: (err as Error).message }, `${what} failed; partition paused, retrying`);
        }
        resume ??= payload.pause();
      }
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!payload.isRunning() || payload.isStale()) return false;
        await sleep(Math.min(1000, until - Date.now()));
        try {
          await payload.heartbeat();
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'heartbeat failed during retry; abandoning the batch uncommitted');
          return false;
        }
      }
      delay = Math.min(config.ingest.retryMaxMs, delay * 2);
    }
  }

  function deadLetterMessage(m: KafkaMessage, partition: number, reason: string) {
    const headers: IHeaders = { ...(m.headers ?? {}) };
    headers.dlq_reason = reason.slice(0, 1000);
    headers.dlq_source_topic = topic;
    headers.dlq_source_partition = String(partition);
    headers.dlq_source_offset = m.offset;
    headers.dlq_at = new Date().toISOString();
    return { key: m.key, value: m.value, headers };
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty() || batch.messages.length === 0) return;
    const partition = batch.partition;
    let state = states.get(partition);
    if (!state) {
      const loaded = await retryingLoad(payload);
      if (!loaded) return;
      states.set(partition, (state = loaded));
    }
    const first = Number(batch.messages[0]!.offset);
    const last = Number(batch.messages[batch.messages.length - 1]!.offset);

    let present = new Set<string>();
    if (state.storedMax >= first) {
      const hi = Math.min(last, state.storedMax);
      const ok = await retrying('reading stored offsets', payload, async () => {
        present = await storedKeys(partition, first, hi);
      });
      if (!ok) return abandon(partition);
    }

    const nowS = Math.floor(Date.now() / 1000);
    let rows: EventRow[] = [];
    const dead: ReturnType<typeof deadLetterMessage>[] = [];
    let dupOffset = 0;
    let dupId = 0;
    for (const m of batch.messages) {
      const decoded = decodeMessage(m);
      if (!decoded.ok) {
        dead.push(deadLetterMessage(m, partition, decoded.reason));
        continue;
      }
      const id = decoded.event.event_id;
      if (present.has(`${m.offset}/${id}`)) {
        state.recent.add(id);
        dupOffset++;
      } else if (!state.recent.add(id)) {
        dupId++;
      } else {
        rows.push(eventToRow(decoded.event, partition, Number(m.offset), nowS));
      }
    }

    const chunk = config.ingest.maxBatchEvents;
    let done = 0;
    const insertedOk = await retrying('ClickHouse insert', payload, async (retry) => {
      if (retry && rows.length > done) {
        // A failed insert may have written some rows: keep only those not stored.
        const rest = rows.slice(done);
        const stored = await storedKeys(partition, rest[0]!.kafka_offset, rest[rest.length - 1]!.kafka_offset);
        const kept = rest.filter((r) => !stored.has(`${r.kafka_offset}/${r.event_id}`));
        dupOffset += rest.length - kept.length;
        rows = rows.slice(0, done).concat(kept);
      }
      while (done < rows.length) {
        const part = rows.slice(done, done + chunk);
        await insert(part);
        done += part.length;
        inserted.inc(part.length);
        stats.inserted += part.length;
      }
    });
    if (!insertedOk) return abandon(partition);

    if (dead.length > 0) {
      const ok = await retrying('dead-letter produce', payload, async () => {
        await dlq.send({ topic: deadLetterTopic, acks: -1, messages: dead });
      });
      if (!ok) return abandon(partition);
      deadLettered.inc(dead.length);
      stats.deadLettered += dead.length;
      log.warn({ partition, count: dead.length, firstReason: dead[0]!.headers.dlq_reason }, 'messages dead-lettered');
    }

    if (dupOffset > 0) duplicates.inc({ reason: 'kafka_replay' }, dupOffset);
    if (dupId > 0) duplicates.inc({ reason: 'event_id' }, dupId);
    stats.duplicates += dupOffset + dupId;

    payload.resolveOffset(String(last));
    try {
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: String(last + 1) }] }] });
    } catch (err) {
      // Inserted but not committed: the replay is recognised by its offsets.
      log.warn({ partition, err: (err as Error).message }, 'offset commit failed; the batch will be replayed and skipped');
    }
    const lag = Number(batch.offsetLag());
    lagGauge.set({ partition: String(partition) }, lag);
    stats.lag[partition] = lag;
  }

  async function retryingLoad(payload: EachBatchPayload): Promise<PartitionState | undefined> {
    let loaded: PartitionState | undefined;
    const ok = await retrying('reading partition state from ClickHouse', payload, async () => {
      loaded = await loadPartition(payload.batch.partition);
    });
    return ok ? loaded : undefined;
  }

  function abandon(partition: number): void {
    states.delete(partition);
    log.info({ partition }, 'batch abandoned uncommitted; it will be replayed');
  }

  await withContext(`connecting the ingest consumer to Kafka ${config.kafka.brokers.join(',')}`, async () => {
    await consumer.connect();
    await dlq.connect();
  });
  // A new assignment may follow another consumer's inserts: re-read partition state.
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    states.clear();
    log.info({ assigned: e.payload.memberAssignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.CRASH, (e) => log.error({ err: e.payload.error?.message, restart: e.payload.restart }, 'consumer crashed'));
  await withContext(`subscribing to Kafka topic ${topic}`, () => consumer.subscribe({ topics: [topic], fromBeginning: true }));
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  log.info({ topic, groupId: config.ingest.groupId, database: config.clickhouse.database }, 'ingest consumer running');

  return {
    stats: () => ({ ...stats, lag: { ...stats.lag } }),
    async stop() {
      await consumer.disconnect();
      await dlq.disconnect();
      await ch.close();
      log.info({ inserted: stats.inserted, duplicates: stats.duplicates, deadLettered: stats.deadLettered }, 'ingest consumer stopped');
    },
  };
}
