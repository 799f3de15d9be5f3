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
 * Binds the app to a Node HTTP server; `close` stops accepting and drains in-flight requests.
 * Refuses published default secrets beyond loopback (warns once per process on loopback).
 */
export function listen(app: Hono<AppEnv>, config: Config, port = config.api.port): Promise<RunningServer> {
  const log = childLogger('feed-api');
  let warning: string | undefined;
  try {
    warning = checkDefaultSecrets(config);
  } catch (err) {
    return Promise.reject(err);
  }
  if (warning && !warnedDefaults) {
    warnedDefaults = true;
    log.warn(warning);
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
