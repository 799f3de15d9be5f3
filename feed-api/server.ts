import cluster from 'node:cluster';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import { checkDefaultSecrets } from '../config/security.ts';
import { childLogger } from '../core/logger.ts';
import type { AppEnv } from './env.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

let warnedDefaults = false;

/**
 * Throws when the config would serve published default secrets beyond loopback; on loopback
 * logs the warning once per process. `listen` runs it; commands that do minutes of work before
 * listening (`feed start`) run it first too.
 */
export function guardDefaultSecrets(config: Config): void {
  const warning = checkDefaultSecrets(config);
  // Cluster workers stay quiet: their primary warned for the whole group.
  if (warning && !warnedDefaults && !cluster.isWorker) {
    warnedDefaults = true;
    childLogger('feed-api').warn(warning);
  }
}

/** Binds the app to a Node HTTP server; `close` stops accepting and drains in-flight requests. */
export function listen(app: Hono<AppEnv>, config: Config, port = config.api.port): Promise<RunningServer> {
  const log = childLogger('feed-api');
  try {
    guardDefaultSecrets(config);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve({ fetch: app.fetch, hostname: config.api.host, port }, (info) => {
        const url = `http://${config.api.host}:${info.port}`;
        log.info({ url }, 'feed API listening');
        resolve({
          url,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      });
      server.on('error', (err) => reject(new Error(`feed API could not listen on ${config.api.host}:${port}: ${err.message}`, { cause: err })));
    } catch (err) {
      reject(err);
    }
  });
}
