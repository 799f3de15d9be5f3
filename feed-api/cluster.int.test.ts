import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { sleep } from '../core/errors.ts';
import { seedWorld } from '../simulator/seed.ts';
import { isolatedConfig } from '../test/stack.ts';

/** GET on a new connection each time, so the cluster spreads them over its workers. */
function fetchOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers: { 'x-api-key': 'demo-admin-key' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('feed serve --workers', () => {
  let config: Config;
  let child: ChildProcess;
  let out = '';
  const workerPids = () => [...out.matchAll(/"pid":(\d+),"url":"[^"]+","msg":"worker ready"/g)].map((m) => Number(m[1]));

  beforeAll(async () => {
    config = await isolatedConfig('cluster', { dataDir: `.data/test/cluster-${randomBytes(4).toString('hex')}` });
    await seedWorld(config, { items: 200, users: 20, days: 0 });
    child = spawn('node', ['bin/feed.js', 'serve', '--workers', '2', '--port', '0', '--no-models'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        FEED_DATA_DIR: config.dataDir,
        CLICKHOUSE_URL: config.clickhouse.url,
        CLICKHOUSE_DATABASE: config.clickhouse.database,
        KAFKA_BROKERS: config.kafka.brokers.join(','),
        KAFKA_TOPIC: config.kafka.topic,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  }, 120_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of workerPids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('serves from every worker on one port, sums their metrics, restarts a dead worker and stops them all', async () => {
    const url = await until('the cluster to listen', () => out.match(/feed API on (http:\/\/\S+) with 2 workers/)?.[1]);
    const pids = workerPids();
    expect(pids).toHaveLength(2);

    const n = 20;
    for (let i = 0; i < n; i++) {
      const res = await fetchOnce(`${url}/v1/feed?user_id=u${i}&count=5`);
      expect(res.status).toBe(200);
    }
    // Whichever worker answers /metrics reports the requests of both.
    const metrics = (await fetchOnce(`${url}/metrics`)).body;
    const ok = metrics.match(/^feed_requests_total\{outcome="ok"\} (\d+)/m);
    expect(Number(ok?.[1])).toBe(n);

    process.kill(pids[0]!, 'SIGKILL');
    await until('a replacement worker', () => (workerPids().length === 3 ? true : undefined));
    expect(out).toMatch(/worker died; restarting it/);
    for (let i = 0; i < 4; i++) expect((await fetchOnce(`${url}/v1/feed?user_id=u${i}`)).status).toBe(200);

    child.kill('SIGTERM');
    const code = await until('the primary to exit', () => child.exitCode ?? undefined, 40_000);
    expect(code).toBe(0);
    for (const pid of workerPids()) expect(alive(pid)).toBe(false);
  }, 180_000);
});
