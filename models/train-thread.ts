import { tsWorker } from '../core/ts-worker.ts';
import type { Config } from '../config/schema.ts';
import type { TrainAllOptions, TrainReport } from './train.ts';
import type { StreamProgress } from './training-stream.ts';
import type { TrainProgress } from './retrieval/train.ts';

/** What the training thread is started with (`workerData`): everything of `TrainAllOptions` but the callbacks and preloaded data. */
export interface TrainThreadData {
  config: Config;
  opts: Omit<TrainAllOptions, 'data' | 'onProgress' | 'onData'>;
}

export type FromTrainThread = { type: 'progress'; model: 'retrieval' | 'ranker'; p: TrainProgress } | { type: 'data'; p: StreamProgress } | { type: 'done'; report: TrainReport };

/**
 * Runs `trainAll` in a worker thread whose V8 heap is capped at `models.trainingHeapMb`.
 * The kept training state is bounded by counts, but without a cap V8 grows its heap toward its
 * default limit (a quarter of the machine's memory) rather than collect, so the process's peak
 * RSS would still rise with the events streamed. The thread's memory is freed when it ends.
 */
export function trainInThread(config: Config, opts: Omit<TrainAllOptions, 'data'> = {}): Promise<TrainReport> {
  const { onProgress, onData, ...rest } = opts;
  const heapMb = config.models.trainingHeapMb;
  const workerData: TrainThreadData = { config, opts: rest };
  const worker = tsWorker(new URL('./train-worker.ts', import.meta.url), { workerData, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
  return new Promise<TrainReport>((resolve, reject) => {
    let failure: Error | undefined;
    worker.on('message', (m: FromTrainThread) => {
      if (m.type === 'progress') onProgress?.(m.model, m.p);
      else if (m.type === 'data') onData?.(m.p);
      else {
        resolve(m.report);
        void worker.terminate();
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      failure =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new Error(`training ran out of its heap (models.trainingHeapMb = ${heapMb} MiB): raise it, or lower the models.trainingData sample sizes`, { cause: err })
          : err;
    });
    worker.on('exit', (code) => reject(failure ?? new Error(`the training thread exited (code ${code}) before reporting`)));
  });
}
