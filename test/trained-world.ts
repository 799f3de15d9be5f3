import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { sleep } from '../core/errors.ts';
import { startIngest, type RunningIngest } from '../ingest/service.ts';
import { trainAll, type TrainReport } from '../models/train.ts';
import { seedWorld, type SeedOptions } from '../simulator/seed.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { queryRows, sql } from '../storage/sql.ts';
import { isolatedConfig } from './stack.ts';

/** Polls `fn` every 50 ms until it returns a value; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export interface TrainedWorld {
  config: Config;
  ch: ClickHouseClient;
  ingest: RunningIngest;
  /** Events the seeded history holds. */
  events: number;
  /** The training run whose version was promoted. */
  trained: TrainReport;
  /** Stops the ingest process and removes the database and the data folder. */
  drop(): Promise<void>;
}

export interface TrainedWorldOptions {
  /** Config overrides on top of the isolated stack config. */
  config?: Record<string, unknown>;
  /** Training epochs (default 1). */
  epochs?: number;
}

/**
 * An isolated stack config with a seeded world whose history went through Kafka and the ingest
 * process into ClickHouse, and models trained on it and promoted.
 */
export async function trainedWorld(name: string, world: SeedOptions, opts: TrainedWorldOptions = {}): Promise<TrainedWorld> {
  const config = await isolatedConfig(name, { dataDir: `.data/test/${name}-${randomBytes(4).toString('hex')}`, ...opts.config });
  const ch = createClickHouse(config);
  const seeded = await seedWorld(config, world);
  const ingest = await startIngest(config, { progressEveryMs: 600_000 });
  await waitFor(
    'the seeded history in ClickHouse',
    async () => {
      const [row] = await queryRows<{ n: string }>(ch, sql`SELECT count() AS n FROM events`);
      return Number(row!.n) >= seeded.events ? true : undefined;
    },
    90_000,
  );
  const trained = await trainAll(config, { epochs: opts.epochs ?? 1, promote: true });
  return {
    config,
    ch,
    ingest,
    events: seeded.events,
    trained,
    async drop() {
      await ingest.stop();
      await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
      await ch.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
