/**
 * A server process forked by the harness (child.ts): starts the server named in argv[2]
 * (a ServerSpec as JSON), reports `ready` with its URL and RSS, then answers `rss`, `call`
 * and `stop` messages over IPC. With `workers` > 1 it is the cluster primary of that many
 * feed workers (feed-api/cluster.ts), each running this script as a cluster worker.
 */
import cluster from 'node:cluster';
import { Hono } from 'hono';
import { ConfigSchema, type Config } from '../../config/schema.ts';
import { reportReady, startCluster } from '../../feed-api/cluster.ts';
import { listen, type RunningServer } from '../../feed-api/server.ts';
import type { FromChild, ProcessMemory, ServerSpec, Started, ToChild } from './child.ts';
import { rssOf } from './machine.ts';

const send = (m: FromChild) => process.send?.(m);

function memory(): ProcessMemory {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

/** The reference: Hono's smallest route on the same Node adapter, nothing else. */
async function startHello(config: Config): Promise<Started> {
  const app = new Hono();
  app.get('/hello', (c) => c.text('hello'));
  const server: RunningServer = await listen(app as never, config, 0);
  return { url: server.url, info: {}, calls: {}, stop: () => server.close() };
}

/** The primary of `workers` feed processes: supervises them and reports their summed RSS. */
async function startFeedCluster(workers: number): Promise<Started & { memory(): ProcessMemory }> {
  const t0 = Date.now();
  const handle = await startCluster(workers);
  const health = (await (await fetch(`${handle.url}/v1/health`)).json()) as { components?: Record<string, unknown> };
  const pids = () => Object.values(cluster.workers ?? {}).flatMap((w) => (w?.process.pid ? [w.process.pid] : []));
  return {
    url: handle.url,
    info: { workers, startup_s: (Date.now() - t0) / 1000, catalog: health.components?.catalog, model: health.components?.model },
    calls: {},
    stop: () => handle.stop(),
    // The workers' heaps are not visible from the primary: only their summed RSS.
    memory: () => ({ rss: process.memoryUsage().rss + pids().reduce((sum, pid) => sum + rssOf(pid), 0), heapUsed: 0, heapTotal: 0, external: 0 }),
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const config = ConfigSchema.parse(spec.config);
  const workers = spec.mode === 'feed' ? (spec.workers ?? 1) : 1;
  const startFeed = async () => (await import('./serve-feed.ts')).startFeed(config, spec.options ?? {});

  if (cluster.isWorker) {
    // Talks to the cluster primary only: ready, then serve until it sends SIGTERM.
    const started = await startFeed();
    process.on('SIGTERM', () => void started.stop().finally(() => process.exit(0)));
    reportReady(started.url);
    return;
  }

  const primary = workers > 1 ? await startFeedCluster(workers) : undefined;
  const started = primary ?? (spec.mode === 'hello' ? await startHello(config) : await startFeed());
  const measure = primary ? () => primary.memory() : memory;
  process.on('message', (m: ToChild) => {
    void (async () => {
      try {
        if (m.type === 'rss') send({ type: 'rss', ...measure() });
        else if (m.type === 'call') {
          const fn = started.calls[m.name];
          if (!fn) throw new Error(`no helper "${m.name}" in ${spec.mode} server${primary ? ` (not available with ${workers} workers)` : ''}`);
          send({ type: 'result', name: m.name, value: await fn(m.args) });
        } else if (m.type === 'stop') {
          await started.stop();
          process.exit(0);
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).message });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: started.url, rss: measure().rss, info: started.info });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
