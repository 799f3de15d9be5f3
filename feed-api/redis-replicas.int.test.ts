import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../core/errors.ts';
import { createRedis } from '../ingest/redis-user-store.ts';
import { catalogFromRows, makeWorld } from '../ranker/testing.ts';
import { startLocalService } from '../stack/stack.ts';
import { isolatedConfig } from '../test/stack.ts';
import type { FeedResponse } from './feed-response.ts';
import { createFeedService, type FeedService } from './service.ts';

const APP = { 'x-api-key': 'demo-app-key' };
const replicas: FeedService[] = [];
let config: Awaited<ReturnType<typeof isolatedConfig>>;
const prefix = `replicas:${randomBytes(4).toString('hex')}:`;

beforeAll(async () => {
  config = await isolatedConfig('redis_replicas', { online: { store: 'redis', redisKeyPrefix: prefix }, ranker: { trafficPool: { refreshMs: 0 } } });
  await startLocalService(config, 'redis');
  const rows = makeWorld({ items: 600, creators: 40 });
  // Two replicas as `feed serve` runs them: users in Redis, each with its own follower for item counters.
  for (let i = 0; i < 2; i++) replicas.push(await createFeedService(config, { catalog: catalogFromRows(rows, config), stackChecks: false, onlineTraining: false }));
});

afterAll(async () => {
  for (const r of replicas) await r.stop();
});

async function creators(s: FeedService, userId: string): Promise<string[]> {
  const res = await s.app.request(`/v1/feed?user_id=${userId}&count=10`, { headers: APP });
  expect(res.status).toBe(200);
  const body = (await res.json()) as FeedResponse;
  return body.items.flatMap((e) => (e.type === 'video' ? [e.creator_id] : []));
}

describe('two replicas sharing the online state in Redis', () => {
  it('an event accepted by one replica changes the next page on the other, and is applied once', async () => {
    const [a, b] = replicas as [FeedService, FeedService];
    const victim = (await creators(b, 'u4'))[0]!;
    expect(await creators(b, 'u4')).toContain(victim); // the page is stable until something happens

    const res = await a.app.request('/v1/events', {
      method: 'POST',
      headers: { ...APP, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ event_id: `ni-${randomBytes(4).toString('hex')}`, kind: 'not_interested', user_id: 'u4', creator_id: victim, ts: Date.now() }] }),
    });
    expect(res.status).toBe(200);

    const deadline = Date.now() + 10_000;
    let page = await creators(b, 'u4');
    while (page.includes(victim) && Date.now() < deadline) {
      await sleep(50);
      page = await creators(b, 'u4');
    }
    expect(page).not.toContain(victim);
    expect(await creators(a, 'u4')).not.toContain(victim);

    const health = (await (await b.app.request('/v1/health')).json()) as { components: { online_state: { store: string; redis_written: number } } };
    expect(health.components.online_state).toMatchObject({ store: 'redis', redis_written: expect.any(Number) });

    // Replica a wrote it at once and the writer group wrote it from Kafka: one application.
    const redis = createRedis(config.online.redisUrl);
    try {
      await redis.connect();
      await sleep(1000); // let the writer group's copy arrive too
      expect(await redis.get(`${prefix}{u4}:seq`)).toBe('1');
    } finally {
      redis.disconnect();
    }
  });
});
