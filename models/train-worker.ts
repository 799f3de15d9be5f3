import { parentPort, workerData } from 'node:worker_threads';
import { logger } from '../core/logger.ts';
import { trainAll } from './train.ts';
import type { FromTrainThread, TrainThreadData } from './train-thread.ts';

/** The training thread started by models/train-thread.ts: trains, relays progress, posts the report. */
const { config, opts } = workerData as TrainThreadData;
const port = parentPort!;
const post = (m: FromTrainThread) => port.postMessage(m);
logger(config.logLevel);
const report = await trainAll(config, {
  ...opts,
  onProgress: (model, p) => post({ type: 'progress', model, p }),
  onData: (p) => post({ type: 'data', p }),
});
post({ type: 'done', report });
