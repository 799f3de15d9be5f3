/**
 * A training process forked by the train-scale benchmark (scale.ts): argv[2] is
 * `{ config, epochs }`. It streams the world's history from ClickHouse, trains both models as
 * `feed train` does, in a heap-capped thread (without promoting) and sends one `result` message with what it measured,
 * including its own peak RSS from the kernel (`process.resourceUsage().maxRSS`).
 */
import { ConfigSchema } from '../../config/schema.ts';
import { flattenMetrics } from '../../feed-api/routes/dashboard.ts';
import { trainInThread } from '../../models/train-thread.ts';
import type { StreamProgress } from '../../models/training-stream.ts';
import { median } from '../harness/stats.ts';

export interface ScaleChildResult {
  type: 'result';
  /** RSS before the training thread starts (MiB). */
  rss_start_mib: number;
  max_rss_mib: number;
  /** V8 heap cap of the training thread (models.trainingHeapMb). */
  heap_limit_mib: number;
  events: number;
  load_s: number;
  events_per_s: number;
  train_s: number;
  retrieval_examples_per_s: number;
  ranker_examples_per_s: number;
  retrieval_sequences: number;
  retrieval_positions: number;
  ranker_train: number;
  ranker_test: number;
  totals: Record<string, number>;
  /** The version's held-out metrics (recall@k, AUC per head, ...), flattened. */
  metrics: Record<string, number>;
  version: string;
}

const MiB = 2 ** 20;
const { config: raw, epochs } = JSON.parse(process.argv[2]!) as { config: unknown; epochs: number };
const config = ConfigSchema.parse(raw);
const say = (m: string) => process.stderr.write(`  [train pid ${process.pid}] ${m}\n`);

const rssStart = process.memoryUsage().rss / MiB;
let last = 0;
const t0 = performance.now();
let streamed: { p: StreamProgress; at: number } | undefined;
const rates: Record<'retrieval' | 'ranker', number[]> = { retrieval: [], ranker: [] };
// As `feed train` runs it: in its thread, under models.trainingHeapMb.
const report = await trainInThread(config, {
  epochs,
  onData: (p) => {
    streamed = { p, at: performance.now() };
    if (performance.now() - last < 10_000) return;
    last = performance.now();
    say(
      `streamed ${p.rows.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} events, ${Math.round(p.rowsPerSec).toLocaleString('en-US')} events/s, RSS ${Math.round(process.memoryUsage().rss / MiB)} MiB`,
    );
  },
  onProgress: (model, p) => {
    if (p.step === p.steps) {
      rates[model].push(p.examplesPerSec);
      say(`${model} epoch ${p.epoch}/${p.epochs}: ${Math.round(p.examplesPerSec)} examples/s, RSS ${Math.round(process.memoryUsage().rss / MiB)} MiB`);
    }
  },
});
const loadS = ((streamed?.at ?? t0) - t0) / 1000;
const result: ScaleChildResult = {
  type: 'result',
  rss_start_mib: rssStart,
  max_rss_mib: process.resourceUsage().maxRSS / 1024,
  heap_limit_mib: config.models.trainingHeapMb,
  events: report.data.events,
  load_s: loadS,
  events_per_s: report.data.events / loadS,
  train_s: (performance.now() - t0) / 1000 - loadS,
  retrieval_examples_per_s: median(rates.retrieval),
  ranker_examples_per_s: median(rates.ranker),
  retrieval_sequences: report.data.retrievalSequences,
  retrieval_positions: report.data.retrievalPositions,
  ranker_train: report.data.rankerTrain,
  ranker_test: report.data.rankerTest,
  totals: report.data.totals,
  metrics: flattenMetrics(report.metrics),
  version: report.version,
};
process.send!(result, () => process.exit(0));
