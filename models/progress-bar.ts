import cliProgress from 'cli-progress';
import type { TrainProgress } from './retrieval/train.ts';
import type { StreamProgress } from './training-stream.ts';

/** Seconds between plain progress lines when stderr is not a terminal. */
const PLAIN_EVERY_MS = 15_000;

interface Bar<P> {
  update: (p: P) => void;
  stop: () => void;
}

/** Where one update puts the bar: a `phase` change starts a new bar. */
interface Position {
  phase: number;
  value: number;
  total: number;
  payload: Record<string, unknown>;
}

/**
 * A progress bar on stderr. When stderr is not a terminal (a log file, CI) it writes a plain
 * line every 15 s (and at the end of each phase) from `update` itself: training is synchronous,
 * so cli-progress's timer would never fire.
 */
function bar<P>(format: string, position: (p: P) => Position, plain: (p: P) => string): Bar<P> {
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(p) {
        const now = Date.now();
        const at = position(p);
        if (now - last < PLAIN_EVERY_MS && at.value !== at.total) return;
        last = now;
        process.stderr.write(`${plain(p)}\n`);
      },
      stop() {},
    };
  }
  const b = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  let started = false;
  let phase = 0;
  return {
    update(p) {
      const at = position(p);
      if (!started || at.phase !== phase) {
        if (started) b.stop();
        b.start(at.total, at.value, at.payload);
        started = true;
        phase = at.phase;
      } else b.update(at.value, at.payload);
    },
    stop() {
      if (started) b.stop();
    },
  };
}

/** A trainer's progress: epoch, loss and examples/s; `update` fits the trainers' onProgress. */
export function progressBar(label: string): Bar<TrainProgress> {
  return bar<TrainProgress>(
    `${label} epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {eps} ex/s`,
    (p) => ({ phase: p.epoch, value: p.step, total: p.steps, payload: { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(4), eps: Math.round(p.examplesPerSec) } }),
    (p) => `${label} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} | loss ${p.loss.toFixed(4)} | ${Math.round(p.examplesPerSec)} ex/s`,
  );
}

/** Rows streamed from ClickHouse out of the range's total, and rows/s. */
export function streamProgressBar(label: string): Bar<StreamProgress> {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return bar<StreamProgress>(
    `${label} [{bar}] {percentage}% | {rows}/{all} events | {rps} events/s`,
    (p) => ({ phase: 1, value: p.rows, total: p.total, payload: { rows: n(p.rows), all: n(p.total), rps: n(p.rowsPerSec) } }),
    (p) => `${label} ${n(p.rows)}/${n(p.total)} events | ${n(p.rowsPerSec)} events/s`,
  );
}
