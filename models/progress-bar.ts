import cliProgress from 'cli-progress';
import type { TrainProgress } from './retrieval/train.ts';

/** Seconds between plain progress lines when stderr is not a terminal. */
const PLAIN_EVERY_MS = 15_000;

/**
 * A progress bar on stderr showing epoch, loss and examples/s; `update` fits the trainers'
 * onProgress. When stderr is not a terminal (a log file, CI) it writes a plain line every 15 s
 * from `update` itself: training is synchronous, so cli-progress's timer would never fire.
 */
export function progressBar(label: string): { update: (p: TrainProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(p) {
        const now = Date.now();
        if (now - last < PLAIN_EVERY_MS && p.step !== p.steps) return;
        last = now;
        process.stderr.write(`${label} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} | loss ${p.loss.toFixed(4)} | ${Math.round(p.examplesPerSec)} ex/s\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {eps} ex/s`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
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
