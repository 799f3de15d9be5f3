import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../core/ts-worker.ts';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import type { EngagementEvent } from '../ingest/events.ts';
import type { BackendInfo } from './backend.ts';
import type { ItemFeatures, TwoTowerUpdate } from './retrieval/two-tower.ts';
import type { ThreadMemory } from './thread-memory.ts';

/** What the training thread is started with (`workerData`). */
export interface TrainingThreadData {
  config: Config;
  /** The registry version it loads and trains: the one serving holds. */
  version: string;
}

export type ToTrainingThread =
  /** Accepted events, with the catalog features of their items the serving copy did not have. */
  | { type: 'events'; events: EngagementEvent[]; items: ItemFeatures[] }
  /** Items serving put in its ANN index itself (content-feature vectors of new catalog items). */
  | { type: 'indexed'; items: ItemFeatures[] }
  /** Asks for the thread's own memory (answered with a 'memory' message). */
  | { type: 'memory' };

export interface TrainingThreadStats {
  steps: number;
  lastLoss: number;
  waiting: number;
  dropped: number;
}

export interface TrainingUpdate {
  stats: TrainingThreadStats;
  /** Weights and rows changed since the previous update (absent when no step ran). */
  model?: TwoTowerUpdate;
  /** Items that got their own embedding row and are not in the serving index yet. */
  newItems?: { ids: string[]; vectors: Float32Array };
}

export type FromTrainingThread = { type: 'ready'; backend: BackendInfo } | { type: 'memory'; memory: ThreadMemory } | ({ type: 'update' } & TrainingUpdate);

/**
 * Below the serving thread's priority: on a busy host requests get the cores first; training
 * takes what is left, and its queue bounds the backlog.
 */
const TRAINING_NICE = 10;
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;

/**
 * Runs online training of one model version in a worker thread (models/online-training-worker.ts),
 * so its steps never hold the serving event loop. The owner sends accepted events and applies
 * the updates the thread publishes (`onUpdate`). A thread that dies is restarted with backoff
 * from the registry version; until then serving keeps the weights it has.
 */
export class OnlineTrainingThread {
  private thread: Worker | undefined;
  /** The thread has loaded the version and trains. */
  private ready = false;
  private stopped = false;
  private restartDelay = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly log = childLogger('online-training');
  /** Stats of the running thread (reset when it restarts). */
  private current: TrainingThreadStats = { steps: 0, lastLoss: NaN, waiting: 0, dropped: 0 };
  /** Steps and drops of threads that died, so totals survive restarts. */
  private past = { steps: 0, dropped: 0 };
  /** Events sent while no thread ran (they are lost). */
  private lost = 0;
  /** Answers to `memory()` still awaited from the running thread, in order. */
  private memoryWaiters: ((m: ThreadMemory | undefined) => void)[] = [];
  /** Callers of `whenReady()` waiting for the running thread to load its version. */
  private readyWaiters: ((loaded: boolean) => void)[] = [];
  restarts = 0;
  backend: BackendInfo | undefined;

  constructor(
    private readonly config: Config,
    readonly version: string,
    private readonly onUpdate: (update: TrainingUpdate) => void,
  ) {
    this.spawn();
  }

  /** A thread has loaded the version and trains (false while one starts or waits to restart). */
  get running(): boolean {
    return this.thread !== undefined && this.ready;
  }

  /** True once the running thread has loaded the version; false if it ends first or none runs. */
  whenReady(): Promise<boolean> {
    if (this.running) return Promise.resolve(true);
    if (!this.thread) return Promise.resolve(false);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  stats(): TrainingThreadStats {
    const c = this.current;
    return { steps: this.past.steps + c.steps, lastLoss: c.lastLoss, waiting: c.waiting, dropped: this.past.dropped + c.dropped + this.lost };
  }

  send(message: ToTrainingThread): void {
    if (this.thread) this.thread.postMessage(message);
    else if (message.type === 'events') this.lost += message.events.length;
  }

  /** The thread's own heap and tfjs memory (undefined when no thread runs or it exits first). */
  memory(): Promise<ThreadMemory | undefined> {
    const thread = this.thread;
    if (!thread) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.memoryWaiters.push(resolve);
      thread.postMessage({ type: 'memory' } satisfies ToTrainingThread);
    });
  }

  /** Terminates the thread; no restart after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const thread = this.thread;
    this.thread = undefined;
    this.endWaits();
    await thread?.terminate();
  }

  /** A thread that is gone answers no more `memory` requests, and will not become ready. */
  private endWaits(): void {
    for (const waiter of this.memoryWaiters.splice(0)) waiter(undefined);
    for (const waiter of this.readyWaiters.splice(0)) waiter(false);
  }

  /** The live worker, for tests that kill it. */
  get worker(): Worker | undefined {
    return this.thread;
  }

  private spawn(): void {
    const startedAt = Date.now();
    const workerData: TrainingThreadData = { config: this.config, version: this.version };
    this.ready = false;
    const thread = tsWorker(new URL('./online-training-worker.ts', import.meta.url), { workerData, nice: TRAINING_NICE });
    // Never what keeps a process alive: stop() ends it on shutdown.
    thread.unref();
    thread.on('message', (m: FromTrainingThread) => {
      if (thread !== this.thread) return;
      if (m.type === 'memory') {
        this.memoryWaiters.shift()?.(m.memory);
        return;
      }
      if (m.type === 'ready') {
        this.backend = m.backend;
        this.ready = true;
        this.log.info({ version: this.version, backend: m.backend.name, ms: Date.now() - startedAt }, 'online training thread ready');
        for (const waiter of this.readyWaiters.splice(0)) waiter(true);
        return;
      }
      this.current = m.stats;
      this.onUpdate(m);
    });
    thread.on('error', (err) => this.log.error({ version: this.version, err: err.message }, 'online training thread failed'));
    thread.on('exit', (code) => {
      if (thread !== this.thread) return;
      this.thread = undefined;
      this.endWaits();
      this.past.steps += this.current.steps;
      this.past.dropped += this.current.dropped + this.current.waiting;
      this.current = { steps: 0, lastLoss: this.current.lastLoss, waiting: 0, dropped: 0 };
      if (this.stopped) return;
      // One that dies soon after starting waits longer each time; one that ran a while restarts soon.
      this.restartDelay = Date.now() - startedAt < RESTART_MAX_MS ? Math.min(RESTART_MAX_MS, this.restartDelay * 2) : RESTART_MIN_MS;
      this.restarts++;
      this.log.error({ version: this.version, code, restart_in_ms: this.restartDelay }, 'online training thread exited; serving keeps the last weights and restarts it');
      this.restartTimer = setTimeout(() => this.stopped || this.spawn(), this.restartDelay);
      this.restartTimer.unref();
    });
    this.thread = thread;
  }
}
