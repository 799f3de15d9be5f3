import type { Config } from '../../config/schema.ts';
import type { BenchResult } from './result.ts';

export interface BenchContext {
  /** Tiny sizes, a few seconds: for CI, never for figures. */
  smoke: boolean;
  /** Repeated runs per measurement; figures are medians over them. */
  repeats: number;
  /** Dataset sizes asked for with --items; the benchmark's defaults when empty. */
  items: number[];
  config: Config;
  /** Progress line on stderr (stdout is kept for the result tables). */
  log(message: string): void;
}

/** What a benchmark returns; the harness adds machine, backend, commit and date. */
export type BenchOutput = Pick<BenchResult, 'dataset' | 'params' | 'figures' | 'references' | 'tables' | 'targets' | 'series' | 'notes'>;

export interface Benchmark {
  name: string;
  description: string;
  defaultRepeats: number;
  /** Needs Kafka and ClickHouse: `feed bench` starts the local stack first, as `feed start` does. */
  stack: boolean;
  run(ctx: BenchContext): Promise<BenchOutput>;
}
