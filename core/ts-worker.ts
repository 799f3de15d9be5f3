import { Worker, type WorkerOptions } from 'node:worker_threads';

export interface TsWorkerOptions extends WorkerOptions {
  /**
   * The thread's nice value, taken before it loads any module (on Linux a thread's nice value is
   * its own): a background thread started on a busy server yields the cores from its first step.
   */
  nice?: number;
}

/** A worker thread running the TypeScript module `module` (worker threads do not inherit the tsx loader). */
export function tsWorker(module: URL, { nice, ...options }: TsWorkerOptions = {}): Worker {
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), { ...options, argv: [...(options.argv ?? []), nice === undefined ? '' : String(nice), module.href] });
}
