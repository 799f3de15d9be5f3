import type { Command } from 'commander';
import { childLogger } from '../../core/logger.ts';
import { isClusterWorker, reportReady, startCluster } from '../../feed-api/cluster.ts';
import { registryModelSource } from '../../feed-api/model-source.ts';
import { guardDefaultSecrets } from '../../feed-api/server.ts';
import { createFeedService } from '../../feed-api/service.ts';
import { configFrom } from '../context.ts';
import { runUntilSignal } from '../signals.ts';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the feed API: catalog from ClickHouse, online state from Kafka, promoted models with hot reload')
    .option('-p, --port <port>', 'port to listen on (default: api.port / $FEED_PORT)')
    .option('-w, --workers <n>', 'serving processes sharing the port, one per core (default: api.workers / $FEED_WORKERS)')
    .option('--no-models', 'ignore the model registry and score with the heuristic fallback')
    .action(async (opts: { port?: string; workers?: string; models: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const port = opts.port === undefined ? config.api.port : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${opts.port}`);
      const workers = opts.workers === undefined ? config.api.workers : Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new Error(`--workers must be an integer from 1 to 64, got ${opts.workers}`);
      const log = childLogger('serve');
      const started = Date.now();
      // Before the catalog load (or forking workers): would the API be allowed to listen at all?
      if (!isClusterWorker()) guardDefaultSecrets(config);

      if (workers > 1 && !isClusterWorker()) {
        log.info({ workers }, 'starting serving workers');
        const cluster = await startCluster(workers);
        log.info({ url: cluster.url, workers, startup_ms: Date.now() - started }, 'feed API ready');
        console.log(`feed API on ${cluster.url} with ${workers} workers  (try: curl -H 'x-api-key: demo-app-key' '${cluster.url}/v1/feed?user_id=u1')`);
        await runUntilSignal(log, 'stopping the workers', () => cluster.stop());
        return;
      }

      const service = await createFeedService(config, opts.models ? { models: registryModelSource(config) } : {});
      const server = await service.start(port);
      log.info({ url: server.url, ...service.catalog.size, model: service.models.current?.version ?? 'none (heuristic scorer)', startup_ms: Date.now() - started }, 'feed API ready');
      if (isClusterWorker()) {
        reportReady(server.url);
        // The primary coordinates shutdown: a terminal's Ctrl-C reaches every process of the group.
        process.on('SIGINT', () => undefined);
        await runUntilSignal(log, 'draining requests', () => service.stop(), ['SIGTERM']);
        process.disconnect(); // the IPC channel to the primary would keep this process alive
        return;
      }
      console.log(`feed API on ${server.url}  (try: curl -H 'x-api-key: demo-app-key' '${server.url}/v1/feed?user_id=u1')`);
      await runUntilSignal(log, 'draining requests', () => service.stop());
    });
}
