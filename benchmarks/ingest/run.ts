/**
 * Ingest throughput: events through HTTP → Kafka → ClickHouse, and Kafka → ClickHouse alone.
 * Runs against the configured stack (start it with `feed stack up`) in a throwaway ClickHouse
 * database and Kafka topic, removed afterwards. As in production, the HTTP accept path
 * (`feed serve`) and the consumer (`feed ingest`) run in their own processes (child.ts); this
 * process only generates load and samples. It prints the CPU seconds each process (and the
 * local Kafka and ClickHouse) spent per phase, since on a small machine they share the cores.
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each child into <dir>/<mode>.
 *
 *   node --import tsx benchmarks/ingest/run.ts [--smoke] [--events N] [--batch N] [--clients N]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deepMerge, loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { sleep } from '../../core/errors.ts';
import { createEventProducer, type EventProducer } from '../../ingest/producer.ts';
import { makeEvent } from '../../ingest/test-helpers.ts';
import { cpuDelta, cpuMeter, type CpuSeconds } from '../harness/proc-cpu.ts';
import { createClickHouse, migrate } from '../../storage/clickhouse.ts';
import { createKafka, ensureTopics } from '../../storage/kafka.ts';
import { nextMessage } from '../harness/child.ts';
import type { FromIngestChild, IngestChildMode, ToIngestChild } from './child.ts';

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

interface LagSample {
  t_s: number;
  /** Events acknowledged by Kafka and not yet in ClickHouse. */
  lag: number;
  /** Kafka messages not yet committed by the consumer (a message may hold several events). */
  kafkaLagMessages: number;
  stored: number;
}

export interface IngestBenchmarkResult {
  events: number;
  /** Kafka → ClickHouse alone: the consumer draining a topic that already holds the events. */
  kafkaToClickhouse: { eventsPerSec: number; seconds: number; lag: LagSample[]; cpuSeconds: CpuSeconds };
  /** Producer alone (createEventProducer, batches of `batch`). */
  produceEventsPerSec: number;
  /** HTTP → Kafka → ClickHouse, consumer running alongside. */
  endToEnd: { eventsPerSec: number; httpAcceptedPerSec: number; seconds: number; lag: LagSample[]; cpuSeconds: CpuSeconds };
}

/** CPU seconds per process during a phase (Kafka and ClickHouse only when local and on Linux). */

interface Child {
  url?: string;
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Forks child.ts in `mode`; its logs go to our stderr. */
async function startChild(mode: IngestChildMode, config: Config): Promise<Child> {
  const prof = process.env.BENCH_CPU_PROF;
  const child = fork(CHILD, [mode, JSON.stringify(config)], {
    execArgv: ['--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${join(prof, mode)}`] : [])],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.stdout?.pipe(process.stderr);
  const tell = (m: ToIngestChild) => child.send(m);
  try {
    const ready = await nextMessage<FromIngestChild>(child, 'ready', `starting the ${mode} process`);
    return {
      ...(ready.type === 'ready' && ready.url ? { url: ready.url } : {}),
      async cpu() {
        const answer = nextMessage<FromIngestChild>(child, 'cpu', `${mode} process`);
        tell({ type: 'cpu' });
        const m = await answer;
        return m.type === 'cpu' ? m.seconds : 0;
      },
      async stop() {
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        tell({ type: 'stop' });
        await exited;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** POSTs a body and drains the answer; resolves with the status code. */
function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function cpuLine(cpu: CpuSeconds, events: number): string {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  const parts = Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(1)} s`);
  return `    CPU: ${parts.join(', ')}; total ${total.toFixed(1)} s = ${Math.round((total * 1e6) / events)} µs per event`;
}

export const SMOKE: Pick<IngestBenchmarkOptions, 'events' | 'batch' | 'clients'> = { events: 2_000, batch: 200, clients: 2 };
export const DEFAULTS: Pick<IngestBenchmarkOptions, 'events' | 'batch' | 'clients'> = { events: 200_000, batch: 500, clients: 8 };

export async function runIngestBenchmark(opts: IngestBenchmarkOptions): Promise<IngestBenchmarkResult> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const tag = `bench_ingest_${randomBytes(3).toString('hex')}`;
  const config = deepMerge((opts.config ?? loadConfig()) as unknown as Record<string, unknown>, {
    clickhouse: { database: tag },
    kafka: { topic: `${tag}.engagement`, deadLetterTopic: `${tag}.dlq`, catalogTopic: `${tag}.catalog` },
    ingest: { groupId: `${tag}.ingest` },
    api: { port: 0, maxEventsPerBatch: Math.max(opts.batch, 500), maxBodyBytes: 16 * 1024 * 1024 },
  }) as unknown as Config;
  await migrate(config);
  await ensureTopics(config);
  const ch = createClickHouse(config);
  const kafka = createKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  const stored = async () => Number((await (await ch.query({ query: 'SELECT toString(count()) AS n FROM events', format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n);
  const kafkaLag = async () => {
    const high = await admin.fetchTopicOffsets(config.kafka.topic);
    const [committed] = await admin.fetchOffsets({ groupId: config.ingest.groupId, topics: [config.kafka.topic] });
    const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    return high.reduce((sum, p) => sum + Number(p.high) - (done.get(p.partition) ?? 0), 0);
  };
  /** Samples lag until `target` rows are stored (`acked()` of them acknowledged so far); returns seconds from `t0`. */
  const drain = async (t0: number, target: number, acked: () => number, lag: LagSample[], label: string) => {
    for (;;) {
      const n = await stored();
      const sample = { t_s: Math.round((Date.now() - t0) / 100) / 10, lag: Math.max(0, acked() - n), kafkaLagMessages: await kafkaLag(), stored: n };
      lag.push(sample);
      print(`  ${label} t=${sample.t_s.toFixed(1)}s stored=${n} lag=${sample.lag} events (${sample.kafkaLagMessages} Kafka messages)`);
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
  let consumer: Child | undefined;
  let server: Child | undefined;
  const reader = (c: Child | undefined) => (c ? () => c.cpu() : undefined);
  const cpu = cpuMeter(config, () => ({ 'HTTP server': reader(server), consumer: reader(consumer) }));
  try {
    // Phase 1: produce, then let the consumer drain the topic.
    print(`ingest benchmark: ${opts.events} events per phase, batches of ${opts.batch}, ${opts.clients} HTTP clients`);
    producer = await createEventProducer(config);
    const p = producer;
    const pre = batches('k');
    let t0 = Date.now();
    await Promise.all(
      Array.from({ length: opts.clients }, async (_, c) => {
        for (let i = c; i < pre.length; i += opts.clients) await p.send(pre[i]!);
      }),
    );
    const produceEventsPerSec = Math.round(opts.events / ((Date.now() - t0) / 1000));
    print(`  producer alone: ${produceEventsPerSec} events/s`);
    await producer.close();
    producer = undefined;
    let cpu0 = await cpu();
    consumer = await startChild('ingest', config);
    const lag1: LagSample[] = [];
    t0 = Date.now();
    const secs1 = await drain(t0, opts.events, () => opts.events, lag1, 'kafka→clickhouse');
    const cpu1 = cpuDelta(cpu0, await cpu());
    const kafkaToClickhouse = { eventsPerSec: Math.round(opts.events / secs1), seconds: secs1, lag: lag1, cpuSeconds: cpu1 };
    print(`  Kafka → ClickHouse: ${kafkaToClickhouse.eventsPerSec} events/s (${secs1.toFixed(1)} s; includes group join)`);
    print(cpuLine(cpu1, opts.events));

    // Phase 2: HTTP clients post batches to the server process while the consumer runs.
    server = await startChild('serve', config);
    const url = server.url!;
    const httpBatches = batches('h');
    const bodies = httpBatches.map((events) => JSON.stringify({ events }));
    const sizes = httpBatches.map((events) => events.length);
    const lag2: LagSample[] = [];
    cpu0 = await cpu();
    t0 = Date.now();
    let accepted = opts.events;
    const sampling = drain(t0, 2 * opts.events, () => accepted, lag2, 'http→clickhouse');
    let failed = 0;
    // node:http with keep-alive: several times cheaper per request than fetch, so the load
    // generator takes less of the CPU it shares with what it measures.
    const agent = new Agent({ keepAlive: true, maxSockets: opts.clients });
    const headers = { 'content-type': 'application/json', 'x-api-key': config.api.keys[0]!.key };
    await Promise.all(
      Array.from({ length: opts.clients }, async (_, c) => {
        for (let i = c; i < bodies.length; i += opts.clients) {
          if ((await post(agent, `${url}/v1/events`, headers, bodies[i]!)) === 200) accepted += sizes[i]!;
          else failed++;
        }
      }),
    );
    agent.destroy();
    const httpSecs = (Date.now() - t0) / 1000;
    if (failed > 0) throw new Error(`${failed} POST /v1/events requests failed`);
    const secs2 = await sampling;
    const cpu2 = cpuDelta(cpu0, await cpu());
    const endToEnd = {
      eventsPerSec: Math.round(opts.events / secs2),
      httpAcceptedPerSec: Math.round(opts.events / httpSecs),
      seconds: secs2,
      lag: lag2,
      cpuSeconds: cpu2,
    };
    print(`  HTTP accepted (acked by Kafka): ${endToEnd.httpAcceptedPerSec} events/s`);
    print(`  HTTP → Kafka → ClickHouse end to end: ${endToEnd.eventsPerSec} events/s (${secs2.toFixed(1)} s)`);
    print(cpuLine(cpu2, opts.events));

    return { events: opts.events, kafkaToClickhouse, produceEventsPerSec, endToEnd };
  } finally {
    await server?.stop();
    await consumer?.stop();
    await producer?.close();
    await ch.command({ query: `DROP DATABASE IF EXISTS ${tag}` });
    await ch.close();
    await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.deadLetterTopic, config.kafka.catalogTopic] }).catch(() => undefined);
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
