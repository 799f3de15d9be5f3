import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import type { AppEnv } from './env.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Binds the app to a Node HTTP server; `close` stops accepting and drains in-flight requests. */
export function listen(app: Hono<AppEnv>, config: Config, port = config.api.port): Promise<RunningServer> {
  const log = childLogger('feed-api');
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
