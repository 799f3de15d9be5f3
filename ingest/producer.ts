import { Partitioners, type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import { Counter, Histogram } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { type FeedError, withContext, withinMs, wrapError } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import { createKafka, idempotentProducer } from '../storage/kafka.ts';
import type { EngagementEvent } from './events.ts';

export interface EventProducer {
  /** Resolves once Kafka acknowledged every event (acks = all); rejects otherwise. */
  send(events: EngagementEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Kafka did not acknowledge in time or refused the batch; the caller may retry with the same event ids. */
const produceError = (context: string, cause: unknown): FeedError => wrapError(context, cause, 'kafka_unavailable');

const produced = new Counter({ name: 'feed_events_produced_total', help: 'Events acknowledged by Kafka', registers: [metrics] });
const produceSeconds = new Histogram({
  name: 'feed_events_produce_seconds',
  help: 'Time from send() to the Kafka acknowledgement of the request that carried it',
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metrics],
});

/**
 * Header naming the serving replica whose POST /v1/events produced a message: that replica has
 * applied the events to its online state already, so its stream follower skips them.
 */
export const ORIGIN_HEADER = 'origin';

/** One accepted event, serialised once. */
export interface Encoded {
  user: string;
  version: number;
  json: string;
}

/**
 * Kafka messages for events, in order: each user's events (same schema_version) share
 * messages of up to `maxEvents` events and about MAX_MESSAGE_BYTES, one JSON event per line
 * (JSON.stringify never writes a raw newline), keyed by user_id. A message with one event is
 * a plain JSON event. kafkajs spends about 20 µs of CPU per record it encodes, so packing a
 * user's events is what lets one Node process produce tens of thousands of events per second.
 * `origin` (a header) names the serving replica that produced them (see ORIGIN_HEADER).
 */
export function packMessages(events: readonly Encoded[], maxEvents: number, origin?: string): Message[] {
  const open = new Map<string, { lines: string[]; bytes: number; version: number }>();
  const out: Message[] = [];
  const close = (user: string, m: { lines: string[]; version: number }) => {
    open.delete(user);
    const headers: Record<string, string> = { schema_version: String(m.version) };
    if (origin !== undefined) headers[ORIGIN_HEADER] = origin;
    out.push({ key: user, value: m.lines.join('\n'), headers });
  };
  for (const e of events) {
    let m = open.get(e.user);
    if (m && (m.version !== e.version || m.bytes + e.json.length > MAX_MESSAGE_BYTES)) {
      close(e.user, m);
      m = undefined;
    }
    if (!m) open.set(e.user, (m = { lines: [], bytes: 0, version: e.version }));
    m.lines.push(e.json);
    m.bytes += e.json.length + 1;
    if (m.lines.length >= maxEvents) close(e.user, m);
  }
  for (const [user, m] of open) close(user, m);
  return out;
}

interface Pending {
  events: Encoded[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Upper bound of one produce request, below the broker's default 1 MB record-batch limit. */
const MAX_REQUEST_BYTES = 768 * 1024;
/** Upper bound of one packed message. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** The topic's partitions (the key → partition hash needs their number; a topic's partitions only grow by an operator's change). */
async function topicPartitions(config: Config): Promise<PartitionMetadata[]> {
  const admin = createKafka(config).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicMetadata({ topics: [config.kafka.topic] })).topics[0]!.partitions;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces to `config.kafka.topic`, keyed by user_id so one user's events stay ordered on one
 * partition. Idempotent producer (acks = all, one request in flight); concurrent send() calls
 * are coalesced into the next request (up to MAX_REQUEST_BYTES), which keeps throughput up
 * with one request in flight, and each user's events in it are packed into shared messages
 * (`ingest.maxEventsPerMessage`, see packMessages). Large send() calls are split across requests.
 * `origin`: the serving replica's id, written on every message (ORIGIN_HEADER).
 */
export async function createEventProducer(config: Config, opts: { origin?: string } = {}): Promise<EventProducer> {
  const log = childLogger('event-producer');
  // send() callers still get an answer after produceTimeoutMs.
  const producer: Producer = idempotentProducer(config);
  await withContext(`connecting the event producer to Kafka ${config.kafka.brokers.join(',')}`, () => producer.connect());
  const topic = config.kafka.topic;
  const partitions = await withContext(`reading the partitions of Kafka topic ${topic}`, () => topicPartitions(config));
  const partitionOf = Partitioners.DefaultPartitioner();
  const queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;

  async function flushLoop(): Promise<void> {
    while (queue.length > 0) {
      let bytes = 0;
      let n = 0;
      while (n < queue.length && (n === 0 || bytes + queue[n]!.bytes <= MAX_REQUEST_BYTES)) bytes += queue[n++]!.bytes;
      const batch = queue.splice(0, n);
      const events = batch.length === 1 ? batch[0]!.events : batch.flatMap((p) => p.events);
      try {
        // One send per partition: kafkajs 2.2.4 retries a send that spans several leaders only to
        // the brokers that have not answered yet, so when a leader dies and its partition moves to
        // a broker that already answered, that partition's messages were dropped while the send
        // resolved (seen in ingest/kafka-brokers.cluster.test.ts; kafkajs issue #1303).
        const byPartition = new Map<number, Message[]>();
        for (const message of packMessages(events, config.ingest.maxEventsPerMessage, opts.origin)) {
          const partition = partitionOf({ topic, partitionMetadata: partitions, message });
          let list = byPartition.get(partition);
          if (!list) byPartition.set(partition, (list = []));
          list.push({ ...message, partition });
        }
        await Promise.all([...byPartition.values()].map((messages) => producer.send({ topic, acks: -1, messages })));
        produced.inc(events.length);
        for (const p of batch) p.resolve();
      } catch (err) {
        log.warn({ err: (err as Error).message, events: events.length }, 'Kafka did not accept a batch');
        for (const p of batch) p.reject(produceError(`producing ${events.length} events to Kafka topic ${topic}`, err));
      }
    }
    flushing = undefined;
  }

  /** Serialises events into parts of at most MAX_REQUEST_BYTES. */
  function parts(events: EngagementEvent[]): { events: Encoded[]; bytes: number }[] {
    const out: { events: Encoded[]; bytes: number }[] = [];
    let cur = { events: [] as Encoded[], bytes: 0 };
    for (const e of events) {
      const json = JSON.stringify(e);
      const size = json.length + 16;
      if (cur.events.length > 0 && cur.bytes + size > MAX_REQUEST_BYTES) {
        out.push(cur);
        cur = { events: [], bytes: 0 };
      }
      cur.events.push({ user: e.user_id, version: e.schema_version, json });
      cur.bytes += size;
    }
    out.push(cur);
    return out;
  }

  function enqueue(part: { events: Encoded[]; bytes: number }, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { ...part, resolve, reject };
      const timer = setTimeout(
        () => {
          // Not yet handed to Kafka: withdraw it so an outage does not pile up memory.
          const i = queue.indexOf(pending);
          if (i >= 0) queue.splice(i, 1);
          reject(produceError(`producing ${part.events.length} events to Kafka topic ${topic}`, new Error(`no acknowledgement within ${config.ingest.produceTimeoutMs} ms`)));
        },
        Math.max(0, deadline - Date.now()),
      );
      pending.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      pending.reject = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      queue.push(pending);
      flushing ??= flushLoop();
    });
  }

  return {
    async send(events) {
      if (closed) throw produceError('producing events', new Error('the producer is closed'));
      if (events.length === 0) return;
      const end = produceSeconds.startTimer();
      const deadline = Date.now() + config.ingest.produceTimeoutMs;
      await Promise.all(parts(events).map((p) => enqueue(p, deadline)));
      end();
    },
    async close() {
      closed = true;
      // Give in-flight sends their time to be acknowledged, but never hang on a dead broker.
      if (flushing) await withinMs(flushing, config.ingest.produceTimeoutMs);
      await producer.disconnect();
    },
  };
}
