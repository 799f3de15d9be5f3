/**
 * Keeps one serving replica's OnlineState current with the whole stream, so that events
 * posted to any replica show up everywhere within about a second.
 *
 * On start it bootstraps from ClickHouse (events of the last `online.bootstrapHours`), then
 * reads Kafka from just after the highest offset ClickHouse holds per partition: whatever the
 * ingest consumer has not inserted yet comes from Kafka, so there is no gap between the two.
 * Overlap is harmless because OnlineState.apply is idempotent by (user_id, event_id).
 *
 * Each replica uses its own consumer group (never committed, deleted on stop), so every
 * replica sees every partition. Messages its own producer wrote (ORIGIN_HEADER = its replica id)
 * are skipped unread: POST /v1/events applied them already, and reading them again cost the
 * serving thread a JSON parse and a deduplicated apply per event.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer } from 'kafkajs';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { createClickHouse } from '../storage/clickhouse.ts';
import { nextOffsets, recentEvents } from '../storage/event-queries.ts';
import { createKafka, deleteOwnGroup, subscribeFromStart } from '../storage/kafka.ts';
import { decodeMessage } from './decode.ts';
import type { EngagementEvent } from './events.ts';
import { applyFromStream, type OnlineState } from './online-state.ts';
import { ORIGIN_HEADER } from './producer.ts';
import { rowToEvent } from './rows.ts';

export interface OnlineFollower {
  /**
   * Events applied from ClickHouse at start and from Kafka since, and events of this replica's
   * own messages (`own`): skipped here, applied when POST /v1/events accepted them.
   */
  stats(): { bootstrapped: number; streamed: number; own: number };
  stop(): Promise<void>;
}

/** Loads recent events from ClickHouse and the Kafka offset to continue from per partition. */
async function bootstrap(config: Config, state: OnlineState): Promise<{ rows: number; next: Map<number, string> }> {
  const ch = createClickHouse(config);
  try {
    const since = Math.floor(Date.now() / 1000 - config.online.bootstrapHours * 3600);
    const rows = await recentEvents(ch, since, config.online.bootstrapMaxRows);
    // Oldest first, so that "most recent" lists end up in order.
    const events: EngagementEvent[] = [];
    for (let i = rows.length - 1; i >= 0; i--) events.push(rowToEvent(rows[i]!));
    for (let i = 0; i < events.length; i += 10_000) applyFromStream(state, events.slice(i, i + 10_000));
    return { rows: rows.length, next: await nextOffsets(ch) };
  } finally {
    await ch.close();
  }
}

/** Events in a message without parsing it: one JSON event per line (ingest/producer.ts packMessages). */
function eventLines(value: Buffer | null): number {
  if (!value || value.length === 0) return 0;
  let n = 1;
  for (let at = value.indexOf(10); at >= 0; at = value.indexOf(10, at + 1)) n++;
  return n;
}

/** A replica id for the follower and the producer of one serving process (`origin` of its messages). */
export const newReplicaId = (): string => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

export async function startOnlineFollower(config: Config, state: OnlineState, opts: { replicaId?: string } = {}): Promise<OnlineFollower> {
  const log = childLogger('online-follower');
  const replica = opts.replicaId ?? newReplicaId();
  const own = Buffer.from(replica);
  const groupId = `${config.ingest.groupId}.online.${replica}`;
  const started = Date.now();
  const boot = await withContext('bootstrapping online state from ClickHouse', () => bootstrap(config, state));

  const kafka = createKafka(config);
  // A fetch returns as soon as events arrive; the wait only sets how often an idle follower asks the broker.
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  let streamed = 0;
  let ownEvents = 0;
  const topic = config.kafka.topic;
  await withContext(`connecting the online follower to Kafka ${config.kafka.brokers.join(',')}`, async () => {
    await consumer.connect();
    // Partitions ClickHouse has never seen are read from the beginning.
    await subscribeFromStart(consumer, [topic]);
  });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const events: EngagementEvent[] = [];
      for (const m of batch.messages) {
        const origin = m.headers?.[ORIGIN_HEADER];
        if (Buffer.isBuffer(origin) && origin.equals(own)) {
          ownEvents += eventLines(m.value);
          continue;
        }
        for (const d of decodeMessage(m)) if (d.ok) events.push(d.event);
      }
      applyFromStream(state, events);
      streamed += events.length;
    },
  });
  for (const [partition, offset] of boot.next) consumer.seek({ topic, partition, offset });
  log.info({ groupId, bootstrapped: boot.rows, ms: Date.now() - started }, 'online follower running');

  return {
    stats: () => ({ bootstrapped: boot.rows, streamed, own: ownEvents }),
    async stop() {
      await consumer.disconnect();
      await deleteOwnGroup(kafka, groupId);
    },
  };
}
