// A worker for core/ts-worker.test.ts: answers with its own nice value.
import { getPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';

parentPort?.postMessage(getPriority());
