import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import { servingEnv } from '../core/malloc-env.ts';

/**
 * Serving on several cores: one process runs one event loop, so `feed serve --workers N` forks
 * N complete serving processes (each its own catalog, models, online state and Kafka follower,
 * like replicas) that share the listening port through node:cluster. The primary only
 * supervises: restarts a worker that dies, stops them all on a signal, and aggregates /metrics.
 */

type ToPrimary = { type: 'feed:ready'; url: string } | { type: 'feed:metrics'; id: number };
type ToWorker = { type: 'feed:metrics'; id: number; text?: string; error?: string };

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const METRICS_TIMEOUT_MS = 5000;

export const isClusterWorker = (): boolean => cluster.isWorker;

/** In a worker: tells the primary this worker is listening. */
export function reportReady(url: string): void {
  if (cluster.isWorker) process.send?.({ type: 'feed:ready', url } satisfies ToPrimary);
}

export interface ClusterHandle {
  /** The shared URL, once every worker listens. */
  url: string;
  stop(): Promise<void>;
}

/** In the primary: forks `workers` serving processes (the same command line) and supervises them. */
export function startCluster(workers: number): Promise<ClusterHandle> {
  const log = childLogger('cluster');
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let restartDelay = RESTART_MIN_MS;
  const ready = new Set<number>();

  return new Promise((resolve, reject) => {
    let url: string | undefined;
    const fork = (index: number): Worker => {
      const worker = cluster.fork({ ...servingEnv(), FEED_WORKER_INDEX: String(index) });
      const startedAt = Date.now();
      worker.on('message', (m: ToPrimary) => {
        if (m.type === 'feed:ready') {
          restartDelay = RESTART_MIN_MS;
          ready.add(index);
          url = m.url;
          log.info({ worker: index, pid: worker.process.pid, url: m.url }, 'worker ready');
          if (ready.size === workers) resolve({ url: m.url, stop });
        } else if (m.type === 'feed:metrics') {
          aggregator.clusterMetrics().then(
            (text) => worker.send({ type: 'feed:metrics', id: m.id, text } satisfies ToWorker),
            (err: Error) => worker.send({ type: 'feed:metrics', id: m.id, error: err.message } satisfies ToWorker),
          );
        }
      });
      worker.on('exit', (code, signal) => {
        ready.delete(index);
        if (stopping) return;
        if (url === undefined) {
          reject(new Error(`worker ${index} exited during start-up (code ${code}${signal ? `, ${signal}` : ''}); see its log above`));
          return;
        }
        // A worker that dies right after starting again waits longer each time.
        if (Date.now() - startedAt < RESTART_MAX_MS) restartDelay = Math.min(RESTART_MAX_MS, restartDelay * 2);
        log.error({ worker: index, code, signal, restart_in_ms: restartDelay }, 'worker died; restarting it');
        setTimeout(() => stopping || fork(index), restartDelay).unref();
      });
      return worker;
    };

    const stop = async (): Promise<void> => {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      await Promise.all(
        alive.map(
          (w) =>
            new Promise<void>((done) => {
              const kill = setTimeout(() => w.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
              w.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              w.process.kill('SIGTERM');
            }),
        ),
      );
    };

    for (let i = 0; i < workers; i++) fork(i);
  });
}

let nextMetricsId = 0;

/** Prometheus text for this process, or summed over all workers when it is one of a cluster. */
export async function metricsText(): Promise<string> {
  if (!cluster.isWorker || !process.send) return metrics.metrics();
  const id = nextMetricsId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer for /metrics'));
    }, METRICS_TIMEOUT_MS);
    const onMessage = (m: ToWorker) => {
      if (m?.type !== 'feed:metrics' || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (m.text !== undefined) resolve(m.text);
      else reject(new Error(`aggregating worker metrics failed: ${m.error}`));
    };
    process.on('message', onMessage);
    process.send!({ type: 'feed:metrics', id } satisfies ToPrimary);
  });
}

if (cluster.isWorker) {
  // Answers the primary's aggregation requests with this worker's registry.
  AggregatorRegistry.setRegistries([metrics]);
  new AggregatorRegistry();
}
