import { DEFAULTS, runIngestBenchmark, SMOKE, type IngestBenchmarkResult } from '../ingest/run.ts';
import { median, overRuns, round, spreadOf } from './stats.ts';
import { checkTarget } from './targets.ts';
import type { Benchmark, BenchOutput } from './types.ts';

/** Wraps benchmarks/ingest/run.ts (owned by ingest) in the harness: repeats, medians, JSON. */
export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description: 'events/s HTTP -> Kafka -> ClickHouse end to end, Kafka -> ClickHouse alone, and consumer lag over time',
  defaultRepeats: 3,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const base = ctx.smoke ? SMOKE : DEFAULTS;
    const events = ctx.items[0] ?? base.events;
    const runs: IngestBenchmarkResult[] = [];
    for (let r = 0; r < ctx.repeats; r++) {
      runs.push(await runIngestBenchmark({ ...base, events, config: ctx.config, print: (l) => ctx.log(l.trim()) }));
      const last = runs[r]!;
      ctx.log(`run ${r + 1}/${ctx.repeats}: end to end ${last.endToEnd.eventsPerSec} events/s, Kafka -> ClickHouse ${last.kafkaToClickhouse.eventsPerSec} events/s`);
    }
    const e2eFigure = overRuns(
      runs.map((x) => x.endToEnd.eventsPerSec),
      'events/s',
      'HTTP POST /v1/events -> Kafka -> ClickHouse rows',
    );
    const e2e = median(runs.map((x) => x.endToEnd.eventsPerSec));
    const http = median(runs.map((x) => x.endToEnd.httpAcceptedPerSec));
    const k2c = median(runs.map((x) => x.kafkaToClickhouse.eventsPerSec));
    const produce = median(runs.map((x) => x.produceEventsPerSec));
    const maxLag = median(runs.map((x) => Math.max(0, ...x.endToEnd.lag.map((s) => s.lag))));
    const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(' / ');
    return {
      dataset: { events_per_phase: events, batch: base.batch, http_clients: base.clients },
      params: { kafka_partitions: ctx.config.kafka.partitions, max_batch_events: ctx.config.ingest.maxBatchEvents },
      figures: {
        end_to_end_events_per_s: e2eFigure,
        http_accepted_events_per_s: overRuns(
          runs.map((x) => x.endToEnd.httpAcceptedPerSec),
          'events/s',
          'acked by Kafka',
        ),
        kafka_to_clickhouse_events_per_s: overRuns(
          runs.map((x) => x.kafkaToClickhouse.eventsPerSec),
          'events/s',
          'consumer draining a full topic; includes group join',
        ),
        producer_events_per_s: overRuns(
          runs.map((x) => x.produceEventsPerSec),
          'events/s',
        ),
        max_consumer_lag: { value: round(maxLag), unit: 'events', note: 'during the end-to-end phase' },
      },
      references: [
        {
          name: 'Kafka -> ClickHouse alone',
          description: 'the same consumer draining a topic already holding the events, same run',
          figure: 'events/s',
          value: round(k2c),
          unit: 'events/s',
          ratio: round(e2e / k2c),
          ratio_meaning: 'end-to-end events/s / consumer-alone events/s',
        },
      ],
      tables: [
        {
          title: `Ingest throughput (${events.toLocaleString('en-US')} events per phase; medians of ${ctx.repeats})`,
          columns: ['path', 'events/s', 'runs'],
          rows: [
            ['HTTP -> Kafka -> ClickHouse', round(e2e), fmt(runs.map((x) => x.endToEnd.eventsPerSec))],
            ['HTTP accepted (Kafka acked)', round(http), fmt(runs.map((x) => x.endToEnd.httpAcceptedPerSec))],
            ['Kafka -> ClickHouse alone', round(k2c), fmt(runs.map((x) => x.kafkaToClickhouse.eventsPerSec))],
            ['producer alone', round(produce), fmt(runs.map((x) => x.produceEventsPerSec))],
          ],
        },
      ],
      targets: [checkTarget('ingest_end_to_end', e2eFigure.value, { spread: spreadOf(e2eFigure) })],
      series: {
        lag: runs.flatMap((x, i) => [
          ...x.endToEnd.lag.map((s) => ({ run: i + 1, phase: 'end-to-end', t_s: s.t_s, lag: s.lag, stored: s.stored })),
          ...x.kafkaToClickhouse.lag.map((s) => ({ run: i + 1, phase: 'kafka-to-clickhouse', t_s: s.t_s, lag: s.lag, stored: s.stored })),
        ]),
      },
      notes: ctx.smoke ? [] : ['`--items N` sets the events per phase.'],
    };
  },
};
