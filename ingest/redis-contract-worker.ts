/**
 * Runs a RedisOnlineState in a worker thread for the contract suite, whose calls are
 * synchronous: each call waits here for Redis (written, then read back through `prefetch`).
 */
import { runAsWorker } from 'synckit';
import { OnlineConfigSchema, type OnlineConfig } from '../config/sections/online.ts';
import type { EngagementEvent } from './events.ts';
import { RedisOnlineState } from './redis-online-state.ts';
import { createRedis, RedisUserStore } from './redis-user-store.ts';

export type ContractCall =
  | { op: 'create'; url: string; config: Partial<OnlineConfig> }
  | { op: 'apply'; events: readonly EngagementEvent[] }
  | { op: 'forgetUser'; userId: string }
  | { op: 'user'; method: 'recent' | 'positiveItems'; userId: string; limit: number }
  | { op: 'user'; method: 'seenItems' | 'hiddenItems' | 'hiddenCreators' | 'followedCreators'; userId: string }
  | { op: 'itemCounters'; itemId: string }
  | { op: 'trending'; limit: number };

let clock = 0;
let state: RedisOnlineState | undefined;
let client: ReturnType<typeof createRedis> | undefined;

runAsWorker(async (now: number, call: ContractCall) => {
  clock = now;
  if (call.op === 'create') {
    client ??= createRedis(call.url);
    state = new RedisOnlineState(new RedisUserStore(client, OnlineConfigSchema.parse(call.config)), { config: call.config, now: () => clock });
    return undefined;
  }
  const s = state!;
  switch (call.op) {
    case 'apply':
      s.apply(call.events);
      return s.flush();
    case 'forgetUser':
      s.forgetUser(call.userId);
      return s.flush();
    case 'user':
      await s.prefetch(call.userId, []);
      return call.method === 'recent' || call.method === 'positiveItems' ? s[call.method](call.userId, call.limit) : s[call.method](call.userId);
    case 'itemCounters':
      return s.itemCounters(call.itemId);
    case 'trending':
      return s.trending(call.limit);
  }
});
