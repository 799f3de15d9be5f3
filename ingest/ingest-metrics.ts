import { Counter, Gauge, Histogram } from 'prom-client';
import { metrics } from '../core/metrics.ts';

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

/** Why an event was not inserted: its offset was already stored (a Kafka replay), or its id was seen recently (a client retry). */
export type DuplicateReason = 'kafka_replay' | 'event_id';

/** One consumer's counts, kept both for `stats()` and in the process-wide Prometheus metrics. */
export class IngestMetrics {
  private readonly counts: IngestStats = { inserted: 0, duplicates: 0, deadLettered: 0, insertFailures: 0, lag: {} };

  /** Times one insert statement of `rows` events and counts them once it succeeded. */
  async insert(rows: number, run: () => Promise<void>): Promise<void> {
    const end = insertSeconds.startTimer();
    await run();
    end();
    inserted.inc(rows);
    this.counts.inserted += rows;
  }

  /** An attempt to store a batch failed (the insert, or the lookup of what a failed one wrote); it is retried. */
  insertFailed(): void {
    insertFailures.inc();
    this.counts.insertFailures++;
  }

  duplicates(reason: DuplicateReason, n: number): void {
    if (n <= 0) return;
    duplicates.inc({ reason }, n);
    this.counts.duplicates += n;
  }

  deadLettered(n: number): void {
    deadLettered.inc(n);
    this.counts.deadLettered += n;
  }

  lag(partition: number, messages: number): void {
    lagGauge.set({ partition: String(partition) }, messages);
    this.counts.lag[partition] = messages;
  }

  snapshot(): IngestStats {
    return { ...this.counts, lag: { ...this.counts.lag } };
  }
}
