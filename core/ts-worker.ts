import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker thread running the TypeScript module `module` (worker threads do not inherit the tsx loader). */
export function tsWorker(module: URL, options: WorkerOptions = {}): Worker {
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), { ...options, argv: [...(options.argv ?? []), module.href] });
}
