import cliProgress from 'cli-progress';
import type { TrainProgress } from './retrieval/train.ts';

/** A progress bar on stderr showing epoch, loss and examples/s; `update` fits the trainers' onProgress. */
export function progressBar(label: string): { update: (p: TrainProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {eps} ex/s`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let epoch = 0;
  return {
    update(p) {
      const payload = { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(4), eps: Math.round(p.examplesPerSec) };
      if (!started || p.epoch !== epoch) {
        if (started) bar.stop();
        bar.start(p.steps, p.step, payload);
        started = true;
        epoch = p.epoch;
      } else bar.update(p.step, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
