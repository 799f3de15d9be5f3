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
 * The parts: decode.ts reads messages, dedup.ts applies (a) and (b), dead-letter.ts builds
 * dead letters, batch-retry.ts backs off, ingest-metrics.ts counts, and the SQL is in
 * storage/event-offsets.ts.
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
import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { insertEventLines } from '../storage/event-offsets.ts';
import { createKafka, subscribeFromStart } from '../storage/kafka.ts';
import { GroupLost, retrying, stillMember } from './batch-retry.ts';
import { loadPartitionState, type PartitionState, type PendingRow, sortBatch, storedKeys } from './dedup.ts';
import { IngestMetrics, type IngestStats } from './ingest-metrics.ts';
import { TSV_COLUMNS } from './rows.ts';

export interface IngestConsumer {
  stats(): IngestStats;
  /** Finishes the batch in hand (or abandons it uncommitted during an outage), commits, disconnects. */
  stop(): Promise<void>;
}

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
  const counts = new IngestMetrics();
  const backoff = { initialMs: config.ingest.retryInitialMs, maxMs: config.ingest.retryMaxMs, log };

  /** One INSERT of rows, counted and timed. */
  async function insert(rows: PendingRow[]): Promise<void> {
    let lines = '';
    for (const r of rows) lines += r.line;
    await counts.insert(rows.length, () => insertEventLines(ch, lines, TSV_COLUMNS));
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
      const ok = await retrying(
        'reading stored offsets',
        payload,
        async () => {
          present = await storedKeys(ch, partition, first, hi);
        },
        backoff,
      );
      if (!ok) return abandon(partition);
    }

    const sorted = sortBatch(batch.messages, { topic, partition }, state, present, Math.floor(Date.now() / 1000));
    let { rows, replayed } = sorted;
    const { dead, repeated } = sorted;

    // Decoding took CPU time: tell the group we are alive before the inserts.
    if (!(await stillMember(payload))) return abandon(partition);
    const chunk = config.ingest.maxBatchEvents;
    let done = 0;
    const insertedOk = await retrying(
      'ClickHouse insert',
      payload,
      async (retry) => {
        if (retry && rows.length > done) {
          // A failed insert may have written some rows: keep only those not stored.
          const rest = rows.slice(done);
          const stored = await storedKeys(ch, partition, rest[0]!.offset, rest[rest.length - 1]!.offset);
          const kept = rest.filter((r) => !stored.has(`${r.offset}/${r.id}`));
          replayed += rest.length - kept.length;
          rows = rows.slice(0, done).concat(kept);
        }
        while (done < rows.length) {
          const part = rows.slice(done, done + chunk);
          await insert(part);
          done += part.length;
          if (done < rows.length && !(await stillMember(payload))) throw new GroupLost();
        }
      },
      { ...backoff, onFailure: () => counts.insertFailed() },
    );
    if (!insertedOk) return abandon(partition);

    if (dead.length > 0) {
      const ok = await retrying(
        'dead-letter produce',
        payload,
        async () => {
          await dlq.send({ topic: deadLetterTopic, acks: -1, messages: dead });
        },
        backoff,
      );
      if (!ok) return abandon(partition);
      counts.deadLettered(dead.length);
      log.warn({ partition, count: dead.length, firstReason: dead[0]!.headers.dlq_reason }, 'messages dead-lettered');
    }

    counts.duplicates('kafka_replay', replayed);
    counts.duplicates('event_id', repeated);

    payload.resolveOffset(String(last));
    try {
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: String(last + 1) }] }] });
    } catch (err) {
      // Inserted but not committed: the replay is recognised by its offsets.
      log.warn({ partition, err: (err as Error).message }, 'offset commit failed; the batch will be replayed and skipped');
    }
    counts.lag(partition, Number(batch.offsetLag()));
  }

  async function retryingLoad(payload: EachBatchPayload): Promise<PartitionState | undefined> {
    const partition = payload.batch.partition;
    let loaded: PartitionState | undefined;
    const ok = await retrying(
      'reading partition state from ClickHouse',
      payload,
      async () => {
        loaded = await loadPartitionState(ch, partition, config.ingest.recentIdsPerPartition);
      },
      backoff,
    );
    if (loaded) log.info({ partition, storedMax: loaded.storedMax, recentIds: loaded.recent.size }, 'partition assigned');
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
    stats: () => counts.snapshot(),
    async stop() {
      await consumer.disconnect();
      await dlq.disconnect();
      await ch.close();
      const { inserted, duplicates, deadLettered } = counts.snapshot();
      log.info({ inserted, duplicates, deadLettered }, 'ingest consumer stopped');
    },
  };
}
