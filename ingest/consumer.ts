/**
 * The ingest consumer: Kafka `engagement` → ClickHouse `events`, at least once, without
 * double counting.
 *
 * Delivery: offsets are committed only after the ClickHouse insert (and any dead-letter
 * produce) of a batch succeeded, so a crash replays from the last commit and loses nothing.
 *
 * Deduplication, before insert (the stats materialized views count what is inserted, so a
 * duplicate must never reach the table):
 * An event is identified by (user_id, event_id) (see eventKey): clients generate event ids, so
 * two users may send the same one, and both events are kept.
 *
 *  (a) Kafka replays. Every row stores `kafka_partition` and `kafka_offset`. When a partition
 *      is assigned, the consumer reads its highest stored offset; messages at or below it are
 *      looked up exactly (offset and event, in the batch's range) and skipped when present.
 *      The exact lookup, rather than "skip everything at or below the max", matters because an
 *      insert spanning several daily table partitions is not atomic: a failed insert may have
 *      written some of its rows. The same lookup runs before retrying a failed insert.
 *  (b) Client retries (the same event sent twice, possibly in different requests): a bounded
 *      window of recent events per Kafka partition (`ingest.recentIdsPerPartition`); a user's
 *      events always land on the same partition because messages are keyed by user_id. On
 *      assignment the window is refilled from the partition's latest stored rows.
 *  (c) The events table is a ReplacingMergeTree: merges collapse any duplicate that slipped
 *      through (e.g. a retry older than the window; its sorting key holds user_id and event_id),
 *      so `uniqExact(user_id, event_id)` and FINAL reads stay exact even then.
 *
 * A message holds one JSON event, or several events of one user, one per line (the producer
 * packs them to save per-record work; see packMessages). Every event of a message stores the
 * message's offset, so "offset and event" identifies it.
 *
 * Unreadable messages (bad JSON, an unsupported schema_version, a failed schema check) go to
 * the dead-letter topic with the original key, payload and headers plus `dlq_*` headers, and
 * their offsets are committed with the batch. An unreadable line of a packed message goes
 * there alone, as its original text, with `dlq_source_line`; its readable neighbours are stored.
 *
 * Throughput: the producer's output passes the event schema's hand-written fast path (about
 * 1 µs instead of zod's 5 to 11; zod still decides anything unusual), rows are written as
 * TabSeparated text, fetches wait for `minBytes` so inserts are large, and partitions are
 * processed concurrently so decoding overlaps the inserts.
 *
 * ClickHouse slow or down: the partition is paused and the insert retried with exponential
 * backoff (`ingest.retryInitialMs` … `ingest.retryMaxMs`) while heartbeats keep the group
 * membership; nothing is dropped and the process does not exit. On stop or rebalance during
 * an outage the batch is abandoned uncommitted and replayed later.
 */
import { Readable } from 'node:stream';
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { sleep, withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { createKafka, subscribeFromStart } from '../storage/kafka.ts';
import { EVENT_SCHEMA_VERSION, eventKey, parseEvent, type EngagementEvent } from './events.ts';
import { RecentIds } from './recent-ids.ts';
import { eventToTsv, TSV_COLUMNS } from './rows.ts';

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
  help: 'Kafka messages (each holding one or more events) behind the partition high watermark after the last processed batch',
  labelNames: ['partition'] as const,
  registers: [metrics],
});

export interface IngestStats {
  inserted: number;
  duplicates: number;
  deadLettered: number;
  insertFailures: number;
  /** Lag per partition after its last batch, in Kafka messages (a message may hold several events). */
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

/** A row waiting for its insert: its Kafka offset and eventKey (for dedup on retry) and its TSV line. */
interface PendingRow {
  offset: number;
  id: string;
  line: string;
}

/** One event read from a message, or why it cannot be read; `line` is its text when the message held several. */
type Decoded = { ok: true; event: EngagementEvent } | { ok: false; reason: string; line?: { index: number; text: string } };

function decodeLine(text: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `payload is not JSON: ${(err as Error).message}` };
  }
  const version = (raw as { schema_version?: unknown } | null)?.schema_version ?? EVENT_SCHEMA_VERSION;
  if (typeof version !== 'number' || !SUPPORTED_SCHEMA_VERSIONS.includes(version)) {
    return { ok: false, reason: `unsupported schema_version ${JSON.stringify(version)}` };
  }
  // The producer's output passes the schema's fast path; anything else gets the full check.
  const parsed = parseEvent(raw);
  return parsed.ok ? parsed : { ok: false, reason: `invalid event: ${parsed.reason}` };
}

/**
 * Reads one Kafka message into its events: one JSON event, or several of one user, one per
 * line (see packMessages in producer.ts). Says why each one that cannot be read is unreadable;
 * a bad header or an empty payload makes the whole message unreadable.
 */
export function decodeMessage(m: KafkaMessage): Decoded[] {
  const header = m.headers?.schema_version;
  if (header !== undefined) {
    const v = Number(String(header));
    if (!SUPPORTED_SCHEMA_VERSIONS.includes(v)) return [{ ok: false, reason: `unsupported schema_version header ${String(header)}` }];
  }
  if (!m.value || m.value.length === 0) return [{ ok: false, reason: 'empty payload' }];
  const text = m.value.toString('utf8');
  if (!text.includes('\n')) return [decodeLine(text)];
  const out: Decoded[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.length === 0) return;
    const d = decodeLine(line);
    out.push(d.ok ? d : { ...d, line: { index, text: line } });
  });
  return out;
}

/** This consumer lost its group membership (a rebalance) mid-batch: abandon the batch, uncommitted. */
class GroupLost extends Error {}

/** Heartbeats (kafkajs sends one at most every heartbeatInterval); false when the membership is gone. */
async function stillMember(payload: EachBatchPayload): Promise<boolean> {
  if (!payload.isRunning() || payload.isStale()) return false;
  try {
    await payload.heartbeat();
    return true;
  } catch {
    return false;
  }
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
    // Under load, wait for at least minBytes (or maxWaitTimeInMs): fewer, larger inserts.
    maxWaitTimeInMs: 250,
    minBytes: 256 * 1024,
    // Short, so a killed consumer's partitions move on quickly; retries keep heartbeating.
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
    // About 14k events per partition and batch: one insert, and a batch (all partitions are
    // decoded on this one thread) stays well inside the session timeout on a busy machine.
    maxBytesPerPartition: 2 * 1024 * 1024,
    maxBytes: 16 * 1024 * 1024,
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
      const ids = await queryRows<{ user_id: string; event_id: string }>(
        `SELECT user_id, event_id FROM events WHERE kafka_partition = ${p} ORDER BY kafka_offset DESC LIMIT ${int(config.ingest.recentIdsPerPartition)}`,
      );
      for (let i = ids.length - 1; i >= 0; i--) recent.add(eventKey(ids[i]!));
    }
    log.info({ partition, storedMax, recentIds: recent.size }, 'partition assigned');
    return { storedMax, recent };
  }

  /** Events at offsets [lo, hi] already stored for this partition, keyed `offset/eventKey`. */
  async function storedKeys(partition: number, lo: number, hi: number): Promise<Set<string>> {
    const rows = await queryRows<{ o: string; user_id: string; event_id: string }>(
      `SELECT toString(kafka_offset) AS o, user_id, event_id FROM events
       WHERE kafka_partition = ${int(partition)} AND kafka_offset >= ${int(lo)} AND kafka_offset <= ${int(hi)}`,
    );
    return new Set(rows.map((r) => `${r.o}/${eventKey(r)}`));
  }

  /** One INSERT of prebuilt TabSeparated lines (a fresh stream per attempt). */
  async function insert(rows: PendingRow[]): Promise<void> {
    const end = insertSeconds.startTimer();
    let body = '';
    for (const r of rows) body += r.line;
    await ch.insert({ table: 'events', values: Readable.from([body], { objectMode: false }), format: 'TabSeparated', columns: [...TSV_COLUMNS] });
    end();
  }

  /**
   * Runs `attempt` until it succeeds, pausing the partition and backing off between tries.
   * Returns false when the batch must be abandoned (stopping, or the partition was revoked).
   * The partition is resumed either way: kafkajs keeps a pause across rebalances, so a batch
   * abandoned while paused would otherwise leave its partition unread for good.
   */
  async function retrying(what: string, payload: EachBatchPayload, attempt: (retry: boolean) => Promise<void>): Promise<boolean> {
    let paused: (() => void) | undefined;
    try {
      return await retryLoop(what, payload, attempt, () => (paused ??= payload.pause()));
    } finally {
      paused?.();
    }
  }

  async function retryLoop(what: string, payload: EachBatchPayload, attempt: (retry: boolean) => Promise<void>, pause: () => void): Promise<boolean> {
    let failures = 0;
    let delay = config.ingest.retryInitialMs;
    for (;;) {
      try {
        await attempt(failures > 0);
        if (failures > 0) log.info({ partition: payload.batch.partition, failures }, `${what} succeeded after retrying`);
        return true;
      } catch (err) {
        if (err instanceof GroupLost) return false;
        failures++;
        if (what === 'ClickHouse insert') {
          insertFailures.inc();
          stats.insertFailures++;
        }
        if (failures === 1 || failures % 10 === 0) {
          log.warn({ partition: payload.batch.partition, failures, retryInMs: delay, err: (err as Error).message }, `${what} failed; partition paused, retrying`);
        }
        pause();
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

  /** The unreadable message (or the unreadable line of a packed one) with why, and where it came from. */
  function deadLetterMessage(m: KafkaMessage, partition: number, reason: string, line?: { index: number; text: string }) {
    const headers: IHeaders = { ...(m.headers ?? {}) };
    headers.dlq_reason = reason.slice(0, 1000);
    if (line) headers.dlq_source_line = String(line.index);
    headers.dlq_source_topic = topic;
    headers.dlq_source_partition = String(partition);
    headers.dlq_source_offset = m.offset;
    headers.dlq_at = new Date().toISOString();
    return { key: m.key, value: line ? line.text : m.value, headers };
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
    let rows: PendingRow[] = [];
    const dead: ReturnType<typeof deadLetterMessage>[] = [];
    let dupOffset = 0;
    let dupId = 0;
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      for (const decoded of decodeMessage(m)) {
        if (!decoded.ok) {
          dead.push(deadLetterMessage(m, partition, decoded.reason, decoded.line));
          continue;
        }
        const id = eventKey(decoded.event);
        if (present.has(`${offset}/${id}`)) {
          state.recent.add(id);
          dupOffset++;
        } else if (!state.recent.add(id)) {
          dupId++;
        } else {
          rows.push({ offset, id, line: eventToTsv(decoded.event, partition, offset, nowS) });
        }
      }
    }

    // Decoding took CPU time: tell the group we are alive before the inserts.
    if (!(await stillMember(payload))) return abandon(partition);
    const chunk = config.ingest.maxBatchEvents;
    let done = 0;
    const insertedOk = await retrying('ClickHouse insert', payload, async (retry) => {
      if (retry && rows.length > done) {
        // A failed insert may have written some rows: keep only those not stored.
        const rest = rows.slice(done);
        const stored = await storedKeys(partition, rest[0]!.offset, rest[rest.length - 1]!.offset);
        const kept = rest.filter((r) => !stored.has(`${r.offset}/${r.id}`));
        dupOffset += rest.length - kept.length;
        rows = rows.slice(0, done).concat(kept);
      }
      while (done < rows.length) {
        const part = rows.slice(done, done + chunk);
        await insert(part);
        done += part.length;
        inserted.inc(part.length);
        stats.inserted += part.length;
        if (done < rows.length && !(await stillMember(payload))) throw new GroupLost();
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
  await withContext(`subscribing to Kafka topic ${topic}`, () => subscribeFromStart(consumer, [topic]));
  // Partitions are independent (own state, own commits): while one waits for its insert, another decodes.
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: config.kafka.partitions, eachBatch });
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
