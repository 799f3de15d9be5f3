import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { startLocalService } from '../stack/stack.ts';
import { isolatedConfig } from '../test/stack.ts';
import { createEventProducer } from './producer.ts';
import { RedisOnlineState } from './redis-online-state.ts';
import { createRedis, RedisUserStore } from './redis-user-store.ts';
import { startRedisWriter, type RedisWriter } from './redis-writer.ts';
import { makeEvent, waitUntil } from './test-helpers.ts';

let config: Config;
const client = () => createRedis(config.online.redisUrl);
const clients: ReturnType<typeof client>[] = [];

beforeAll(async () => {
  config = await isolatedConfig('redis_writer', { online: { store: 'redis', redisKeyPrefix: `writer:${randomBytes(4).toString('hex')}:` } });
  await startLocalService(config, 'redis');
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
});

async function connected() {
  const c = client();
  clients.push(c);
  await c.connect();
  return c;
}

describe('the Redis writer group', () => {
  it('two replicas in one group write each event of the stream to Redis once', async () => {
    const writers: RedisWriter[] = [];
    for (let i = 0; i < 2; i++) writers.push(await startRedisWriter(config, new RedisUserStore(await connected(), config.online)));
    const producer = await createEventProducer(config);
    const N = 970; // makeEvent spreads these over 97 users, 10 each
    try {
      await producer.send(Array.from({ length: N }, (_, i) => makeEvent(i, 'w')));
      await waitUntil('the writers to apply every event', () => writers.reduce((s, w) => s + w.stats().written, 0) >= N, 60_000);
      const redis = await connected();
      const seqs = await Promise.all(Array.from({ length: 97 }, (_, u) => redis.get(`${config.online.redisKeyPrefix}{u${u}}:seq`)));
      expect(seqs.every((s) => s === '10')).toBe(true);
      // What a feed request then reads for one user: its 10 events, most recent first.
      const state = new RedisOnlineState(new RedisUserStore(redis, config.online), { config: config.online });
      await state.prefetch('u5', []);
      expect(state.recent('u5', 20).map((e) => e.item_id)).toHaveLength(10);
      expect(writers.reduce((s, w) => s + w.stats().written, 0)).toBe(N);
    } finally {
      await producer.close();
      for (const w of writers) await w.stop();
    }
  });
});
