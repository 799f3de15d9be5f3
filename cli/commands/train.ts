import type { Command } from 'commander';
import { Option } from 'commander';
import { progressBar, streamProgressBar } from '../../models/progress-bar.ts';
import type { CalibrationBin, ModelChoice } from '../../models/train.ts';
import { trainInThread } from '../../models/train-thread.ts';
import { configFrom } from '../context.ts';

interface TrainFlags {
  model: ModelChoice;
  epochs?: string;
  seed?: string;
  promote?: boolean;
  json?: boolean;
}

const int = (name: string, raw: string | undefined) => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a non-negative integer, got "${raw}"`);
  return n;
};

/** Held-out calibration, one row per head: predicted/observed rate per decile of the prediction. */
export function calibrationTable(calib: Record<string, CalibrationBin[]>): string {
  const pct = (v: number) => (v * 100).toFixed(1);
  const rows = Object.entries(calib).map(([head, bins]) => `  ${head.padEnd(9)}${bins.map((b) => `${pct(b.predicted)}/${pct(b.observed)}`.padStart(12)).join('')}`);
  return ['ranker calibration on the held-out slice, predicted/observed % per decile of the prediction (low to high):', ...rows].join('\n');
}

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description('train from ClickHouse (time split), evaluate on the held-out slice, write a registry version')
    .addOption(new Option('--model <model>', 'which model to train; the other is reused from the promoted version').choices(['retrieval', 'ranker', 'all']).default('all'))
    .option('--epochs <n>', 'epochs (default: models.retrieval.epochs / models.multitask.epochs)')
    .option('--seed <n>', 'training seed (default: config seed); the same seed gives the same model')
    .option('--promote', 'promote the new version for serving')
    .option('--json', 'print the report as JSON')
    .action(async (flags: TrainFlags, cmd: Command) => {
      const config = configFrom(cmd);
      const bars = { data: streamProgressBar('training data'), retrieval: progressBar('retrieval'), ranker: progressBar('ranker') };
      const epochs = int('epochs', flags.epochs);
      const seed = int('seed', flags.seed);
      const report = await trainInThread(config, {
        model: flags.model,
        ...(epochs ? { epochs } : {}),
        ...(seed !== undefined ? { seed } : {}),
        promote: !!flags.promote,
        onProgress: (model, p) => bars[model].update(p),
        onData: (p) => bars.data.update(p),
      }).finally(() => {
        bars.data.stop();
        bars.retrieval.stop();
        bars.ranker.stop();
      });
      if (flags.json) {
        console.log(JSON.stringify(report.manifest, null, 2));
        return;
      }
      console.log(`version ${report.version}${report.promoted ? ' (promoted)' : ''} in ${report.seconds.toFixed(1)} s`);
      console.log(`data: ${report.manifest.data_range.events} events, ${report.manifest.data_range.from} .. ${report.manifest.data_range.to}, held out from ${report.manifest.data_range.cutoff}`);
      for (const [model, m] of Object.entries(report.metrics)) {
        const shown = Object.entries(m as Record<string, unknown>).filter(([, v]) => typeof v === 'number');
        console.log(`${model}: ${shown.map(([k, v]) => `${k}=${(v as number).toFixed(4).replace(/\.?0+$/, '')}`).join('  ')}`);
      }
      const calib = (report.metrics.ranker as { calibration?: Record<string, CalibrationBin[]> } | undefined)?.calibration;
      if (calib) console.log(calibrationTable(calib));
      if (!report.promoted) console.log(`promote with: feed models promote ${report.version}`);
    });
}
