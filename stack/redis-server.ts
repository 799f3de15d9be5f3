import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { createRedis } from '../ingest/redis-user-store.ts';
import type { ManagedProcess } from './process.ts';

/** Paths and process description of the local Redis (online state with `online.store: redis`). */
export function redisProcess(config: Config): ManagedProcess {
  const dir = resolve(config.dataDir, 'redis');
  return {
    name: 'redis',
    pidFile: join(dir, 'redis.pid'),
    logFile: join(dir, 'stdout.log'),
    command: 'redis-server',
    args: [join(dir, 'redis.conf')],
  };
}

/** Loopback only, data under dataDir, append-only file so a restart keeps the users' state. */
export function writeRedisConfig(config: Config): void {
  const dir = resolve(config.dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = new URL(config.online.redisUrl).port || '6379';
  writeFileSync(join(dir, 'redis.conf'), [`bind 127.0.0.1`, `port ${port}`, `dir ${dir}`, `appendonly yes`, `appendfsync everysec`, `save ""`, `daemonize no`, `protected-mode yes`, ''].join('\n'));
}

export async function redisHealthy(config: Config): Promise<boolean> {
  const client = createRedis(config.online.redisUrl);
  client.on('error', () => undefined); // a probe: failure is the answer, not a log line
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}
