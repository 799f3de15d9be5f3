import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createSyncFn } from 'synckit';
import { beforeAll } from 'vitest';
import { startLocalService } from '../stack/stack.ts';
import { testConfig } from '../test/stack.ts';
import type { ContractCall } from './redis-contract-worker.ts';
import { onlineStateContract } from './online-state.contract.ts';
import type { ItemCounters, OnlineState } from './online-state.ts';

const config = testConfig({ online: { store: 'redis' } });
const call = createSyncFn<(now: number, call: ContractCall) => unknown>(fileURLToPath(new URL('./redis-contract-worker.mjs', import.meta.url)));

beforeAll(async () => {
  await startLocalService(config, 'redis');
}, 30_000);

/** The suite's synchronous calls, each answered by a RedisOnlineState on the test stack's Redis (worker thread). */
onlineStateContract('Redis', ({ limits, now }) => {
  const run = <T>(c: ContractCall) => call(now(), c) as T;
  run({ op: 'create', url: config.online.redisUrl, config: { ...limits, redisKeyPrefix: `contract:${randomBytes(4).toString('hex')}:` } });
  const state: OnlineState = {
    apply: (events) => run({ op: 'apply', events }),
    forgetUser: (userId) => run({ op: 'forgetUser', userId }),
    recent: (userId, limit) => run({ op: 'user', method: 'recent', userId, limit }),
    positiveItems: (userId, limit) => run({ op: 'user', method: 'positiveItems', userId, limit }),
    seenItems: (userId) => run({ op: 'user', method: 'seenItems', userId }),
    hiddenItems: (userId) => run({ op: 'user', method: 'hiddenItems', userId }),
    hiddenCreators: (userId) => run({ op: 'user', method: 'hiddenCreators', userId }),
    followedCreators: (userId) => run({ op: 'user', method: 'followedCreators', userId }),
    itemCounters: (itemId, into) => {
      const counters = run<ItemCounters | undefined>({ op: 'itemCounters', itemId });
      return counters && into ? Object.assign(into, counters) : counters;
    },
    trending: (limit) => run({ op: 'trending', limit }),
  };
  return state;
});
