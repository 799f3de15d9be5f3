/**
 * Ingest throughput: events through HTTP → Kafka → ClickHouse, and Kafka → ClickHouse alone.
 * Runs against the configured stack (start it with `feed stack up`) in a throwaway ClickHouse
 * database and Kafka topic, removed afterwards.
 *
 *   node --import tsx benchmarks/ingest/run.ts [--smoke] [--events N] [--batch N] [--clients N]
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { deepMerge, loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { sleep } from '../../core/errors.ts';
import { createApp } from '../../feed-api/app.ts';
import { eventsRoutes } from '../../feed-api/routes/events.ts';
import { listen, type RunningServer } from '../../feed-api/server.ts';
import { startConsumer, type IngestConsumer } from '../../ingest/consumer.ts';
import { createEventProducer, type EventProducer } from '../../ingest/producer.ts';
import { makeEvent } from '../../ingest/test-helpers.ts';
import { createClickHouse, migrate } from '../../storage/clickhouse.ts';
import { createKafka, ensureTopics } from '../../storage/kafka.ts';

export interface IngestBenchmarkOptions {
  /** Events per phase. */
  events: number;
  /** Events per POST /v1/events. */
  batch: number;
  /** Concurrent HTTP clients. */
  clients: number;
  config?: Config;
  /** Called with one line per lag sample and per phase result. */
  print?: (line: string) => void;
}

export interface LagSample {
  t_s: number;
  lag: number;
  stored: number;
}

export interface IngestBenchmarkResult {
  events: number;
  /** Kafka → ClickHouse alone: the consumer draining a topic that already holds the events. */
  kafkaToClickhouse: { eventsPerSec: number; seconds: number; lag: LagSample[] };
  /** Producer alone (createEventProducer, batches of `batch`). */
  produceEventsPerSec: number;
  /** HTTP → Kafka → ClickHouse, consumer running alongside. */
  endToEnd: { eventsPerSec: number; httpAcceptedPerSec: number; seconds: number; lag: LagSample[] };
}

export const SMOKE: Pick<IngestBenchmarkOptions, 'events' | 'batch' | 'clients'> = { events: 2_000, batch: 200, clients: 2 };
export const DEFAULTS: Pick<IngestBenchmarkOptions, 'events' | 'batch' | 'clients'> = { events: 200_000, batch: 500, clients: 8 };

export async function runIngestBenchmark(opts: IngestBenchmarkOptions): Promise<IngestBenchmarkResult> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const tag = `bench_ingest_${randomBytes(3).toString('hex')}`;
  const config = deepMerge((opts.config ?? loadConfig()) as unknown as Record<string, unknown>, {
    clickhouse: { database: tag },
    kafka: { topic: `${tag}.engagement`, deadLetterTopic: `${tag}.dlq` },
    ingest: { groupId: `${tag}.ingest` },
    api: { port: 0, maxEventsPerBatch: Math.max(opts.batch, 500), maxBodyBytes: 16 * 1024 * 1024 },
  }) as unknown as Config;
  await migrate(config);
  await ensureTopics(config);
  const ch = createClickHouse(config);
  const kafka = createKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  const stored = async () =>
    Number((await (await ch.query({ query: 'SELECT toString(count()) AS n FROM events', format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n);
  const kafkaLag = async () => {
    const high = await admin.fetchTopicOffsets(config.kafka.topic);
    const [committed] = await admin.fetchOffsets({ groupId: config.ingest.groupId, topics: [config.kafka.topic] });
    const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    return high.reduce((sum, p) => sum + Number(p.high) - (done.get(p.partition) ?? 0), 0);
  };
  /** Samples lag until `target` rows are stored; returns seconds from `t0`. */
  const drain = async (t0: number, target: number, lag: LagSample[], label: string) => {
    for (;;) {
      const n = await stored();
      const sample = { t_s: Math.round((Date.now() - t0) / 100) / 10, lag: await kafkaLag(), stored: n };
      lag.push(sample);
      print(`  ${label} t=${sample.t_s.toFixed(1)}s stored=${n} lag=${sample.lag}`);
      if (n >= target) return (Date.now() - t0) / 1000;
      await sleep(500);
    }
  };
  const batches = (prefix: string) => {
    const now = Date.now();
    const out = [];
    for (let i = 0; i < opts.events; i += opts.batch) {
      out.push(Array.from({ length: Math.min(opts.batch, opts.events - i) }, (_, k) => makeEvent(i + k, prefix, now)));
    }
    return out;
  };

  let producer: EventProducer | undefined;
  let consumer: IngestConsumer | undefined;
  let server: RunningServer | undefined;
  try {
    // Phase 1: produce, then let the consumer drain the topic.
    print(`ingest benchmark: ${opts.events} events per phase, batches of ${opts.batch}, ${opts.clients} HTTP clients`);
    producer = await createEventProducer(config);
    const p = producer;
    const pre = batches('k');
    let t0 = Date.now();
    await Promise.all(Array.from({ length: opts.clients }, async (_, c) => {
      for (let i = c; i < pre.length; i += opts.clients) await p.send(pre[i]!);
    }));
    const produceEventsPerSec = Math.round(opts.events / ((Date.now() - t0) / 1000));
    print(`  producer alone: ${produceEventsPerSec} events/s`);
    consumer = await startConsumer(config);
    const lag1: LagSample[] = [];
    t0 = Date.now();
    const secs1 = await drain(t0, opts.events, lag1, 'kafka→clickhouse');
    const kafkaToClickhouse = { eventsPerSec: Math.round(opts.events / secs1), seconds: secs1, lag: lag1 };
    print(`  Kafka → ClickHouse: ${kafkaToClickhouse.eventsPerSec} events/s (${secs1.toFixed(1)} s; includes group join)`);

    // Phase 2: HTTP clients post batches while the consumer runs.
    server = await listen(createApp(config, [eventsRoutes({ config, producer })]), config, 0);
    const url = server.url;
    const bodies = batches('h').map((events) => JSON.stringify({ events }));
    const lag2: LagSample[] = [];
    t0 = Date.now();
    const sampling = drain(t0, 2 * opts.events, lag2, 'http→clickhouse');
    let failed = 0;
    await Promise.all(Array.from({ length: opts.clients }, async (_, c) => {
      for (let i = c; i < bodies.length; i += opts.clients) {
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': config.api.keys[0]!.key },
          body: bodies[i]!,
        });
        if (res.status !== 200) failed++;
        await res.arrayBuffer();
      }
    }));
    const httpSecs = (Date.now() - t0) / 1000;
    if (failed > 0) throw new Error(`${failed} POST /v1/events requests failed`);
    const secs2 = await sampling;
    const endToEnd = { eventsPerSec: Math.round(opts.events / secs2), httpAcceptedPerSec: Math.round(opts.events / httpSecs), seconds: secs2, lag: lag2 };
    print(`  HTTP accepted (acked by Kafka): ${endToEnd.httpAcceptedPerSec} events/s`);
    print(`  HTTP → Kafka → ClickHouse end to end: ${endToEnd.eventsPerSec} events/s (${secs2.toFixed(1)} s)`);

    return { events: opts.events, kafkaToClickhouse, produceEventsPerSec, endToEnd };
  } finally {
    await server?.close();
    await consumer?.stop();
    await producer?.close();
    await ch.command({ query: `DROP DATABASE IF EXISTS ${tag}` });
    await ch.close();
    await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.deadLetterTopic] }).catch(() => undefined);
    await admin.deleteGroups([config.ingest.groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

function intFlag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer, got ${args[i + 1]}`);
  return v;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const base = args.includes('--smoke') ? SMOKE : DEFAULTS;
  const result = await runIngestBenchmark({
    events: intFlag(args, '--events', base.events),
    batch: intFlag(args, '--batch', base.batch),
    clients: intFlag(args, '--clients', base.clients),
  });
  console.log(JSON.stringify({ ...result, kafkaToClickhouse: { ...result.kafkaToClickhouse, lag: undefined }, endToEnd: { ...result.endToEnd, lag: undefined } }));
}
