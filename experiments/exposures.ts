import { Counter } from 'prom-client';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';

/** One served entry of an experiment (table experiment_exposures). */
export interface ExposureRow {
  experiment_id: string;
  arm: string;
  user_id: string;
  request_id: string;
  session_id: string;
  /** item_id of a video, product_id of a product slot, live_id of a live slot. */
  entry_key: string;
  position: number;
  /** Epoch seconds. */
  ts: number;
}

const log = childLogger('experiments');
const dropped = new Counter({ name: 'feed_experiment_exposures_dropped_total', help: 'Exposure rows dropped: the buffer was full or ClickHouse refused them', registers: [metrics] });

/**
 * Buffers served entries and inserts them into ClickHouse every `flushMs`, off the request
 * path. At most `maxRows` wait; beyond that (ClickHouse down for long) rows are dropped and counted.
 */
export class ExposureLog {
  private rows: ExposureRow[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ch: ClickHouseClient,
    flushMs: number,
    private readonly maxRows = 200_000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  push(rows: ExposureRow[]): void {
    const room = this.maxRows - this.rows.length;
    if (rows.length > room) dropped.inc(rows.length - Math.max(0, room));
    for (let i = 0; i < Math.min(rows.length, room); i++) this.rows.push(rows[i]!);
  }

  /** Inserts what is buffered; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.rows.length === 0) return;
      const batch = this.rows;
      this.rows = [];
      try {
        await this.ch.insert({ table: 'experiment_exposures', values: batch, format: 'JSONEachRow' });
      } catch (err) {
        dropped.inc(batch.length);
        log.warn({ rows: batch.length, err: (err as Error).message }, 'could not insert experiment exposures; dropped them');
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
