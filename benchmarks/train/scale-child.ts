/**
 * A training process forked by the train-scale benchmark (scale.ts): argv[2] is
 * `{ config, epochs }`. It streams the world's history from ClickHouse, trains both models as
 * `feed train` does (without promoting) and sends one `result` message with what it measured,
 * including its own peak RSS from the kernel (`process.resourceUsage().maxRSS`).
 */
import { ConfigSchema } from '../../config/schema.ts';
import { flattenMetrics } from '../../feed-api/routes/dashboard.ts';
import { initBackend } from '../../models/backend.ts';
import { trainAll } from '../../models/train.ts';
import { loadTrainingData } from '../../models/training-stream.ts';
import { median } from '../harness/stats.ts';

export interface ScaleChildResult {
  type: 'result';
  /** RSS with the backend loaded, before reading anything (MiB). */
  rss_start_mib: number;
  max_rss_mib: number;
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

await initBackend();
const rssStart = process.memoryUsage().rss / MiB;
let last = 0;
const t0 = performance.now();
const data = await loadTrainingData(config, config.models.holdout, (p) => {
  if (performance.now() - last < 10_000) return;
  last = performance.now();
  say(
    `streamed ${p.rows.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} events, ${Math.round(p.rowsPerSec).toLocaleString('en-US')} events/s, RSS ${Math.round(process.memoryUsage().rss / MiB)} MiB`,
  );
});
const loadS = (performance.now() - t0) / 1000;
say(
  `training data: ${data.range.events.toLocaleString('en-US')} events in ${loadS.toFixed(1)} s; ranker ${data.ranker.train.length.toLocaleString('en-US')} of ${data.totals.rankerTrain.toLocaleString('en-US')} examples kept`,
);
const rates: Record<'retrieval' | 'ranker', number[]> = { retrieval: [], ranker: [] };
const t1 = performance.now();
const report = await trainAll(config, {
  data,
  epochs,
  onProgress: (model, p) => {
    if (p.step === p.steps) {
      rates[model].push(p.examplesPerSec);
      say(`${model} epoch ${p.epoch}/${p.epochs}: ${Math.round(p.examplesPerSec)} examples/s`);
    }
  },
});
const result: ScaleChildResult = {
  type: 'result',
  rss_start_mib: rssStart,
  max_rss_mib: process.resourceUsage().maxRSS / 1024,
  events: data.range.events,
  load_s: loadS,
  events_per_s: data.range.events / loadS,
  train_s: (performance.now() - t1) / 1000,
  retrieval_examples_per_s: median(rates.retrieval),
  ranker_examples_per_s: median(rates.ranker),
  retrieval_sequences: data.retrieval.train.length,
  retrieval_positions: data.retrieval.train.reduce((n, s) => n + s.items.length, 0),
  ranker_train: data.ranker.train.length,
  ranker_test: data.ranker.test.length,
  totals: data.totals,
  metrics: flattenMetrics(report.metrics),
  version: report.version,
};
process.send!(result, () => process.exit(0));
