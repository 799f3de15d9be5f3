import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { MemoryOnlineState } from '../ingest/memory-online-state.ts';
import type { OnlineState } from '../ingest/online-state.ts';
import { RedisOnlineState } from '../ingest/redis-online-state.ts';
import { createRedis, RedisUserStore } from '../ingest/redis-user-store.ts';
import { startRedisWriter, type RedisWriter } from '../ingest/redis-writer.ts';

export interface OnlineStore {
  state: OnlineState;
  /** With `online.store: redis` and a stream: this replica's member of the writer group. */
  writer?: RedisWriter;
}

/**
 * The serving process's online state from config: in process, or users in Redis (written by a
 * consumer group every replica joins) with item counters in process. Cleanups go to `stops`.
 */
export async function createOnlineStore(config: Config, stops: (() => unknown)[], opts: { writeFromStream: boolean; countsItem: (itemId: string) => boolean }): Promise<OnlineStore> {
  if (config.online.store === 'memory') return { state: new MemoryOnlineState({ config: config.online, countsItem: opts.countsItem }) };
  const client = createRedis(config.online.redisUrl);
  await withContext(`connecting to Redis ${config.online.redisUrl}`, () => client.connect());
  stops.push(() => client.quit());
  const users = new RedisUserStore(client, config.online);
  const state = new RedisOnlineState(users, { config: config.online, countsItem: opts.countsItem });
  if (!opts.writeFromStream) return { state };
  const writer = await startRedisWriter(config, users);
  stops.push(() => writer.stop());
  return { state, writer };
}
