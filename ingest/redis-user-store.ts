import { Redis, Cluster } from 'ioredis';
import type { OnlineConfig } from '../config/sections/online.ts';
import { POSITIVE_KINDS, type EngagementEvent } from './events.ts';
import type { RecentEngagement } from './online-state.ts';

/** What a feed request reads about one user; peers (friends) carry only recent and positive. */
export interface UserSnapshot {
  recent: RecentEngagement[];
  seen: ReadonlySet<string>;
  hiddenItems: ReadonlySet<string>;
  hiddenCreators: ReadonlySet<string>;
  followed: ReadonlySet<string>;
  /** Most recent first. */
  positive: string[];
}

/**
 * Applies one user's events. Every key of a user carries the `{user}` hash tag, so the script
 * runs on one Redis Cluster slot. Idempotent by (user, event_id) within the dedup window.
 * Ordered sets keep insertion order through a per-user sequence; the recent list is ordered by
 * event time (ties by arrival), like the in-process state.
 */
const APPLY_USER = `
local rec, seen, hi, hc, fol, pos, ids, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local recentCap, seenCap, hiddenCap, posCap, idCap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local positive = { ${POSITIVE_KINDS.map((k) => `${k} = true`).join(', ')} }
local function cap(key, n)
  local size = redis.call('ZCARD', key)
  if size > n then redis.call('ZREMRANGEBYRANK', key, 0, size - n - 1) end
end
for _, e in ipairs(cjson.decode(ARGV[6])) do
  if not redis.call('ZSCORE', ids, e.id) then
    local n = redis.call('INCR', seq)
    redis.call('ZADD', ids, n, e.id)
    cap(ids, idCap)
    if e.item then
      redis.call('ZADD', rec, e.ts, string.format('%015d', n) .. '|' .. e.entry)
      cap(rec, recentCap)
      redis.call('ZADD', seen, 'NX', n, e.item)
      cap(seen, seenCap)
      if positive[e.kind] then
        redis.call('ZADD', pos, n, e.item)
        cap(pos, posCap)
      elseif e.kind == 'unlike' then
        redis.call('ZREM', pos, e.item)
      end
    end
    if e.kind == 'not_interested' then
      if e.item then redis.call('ZADD', hi, 'NX', n, e.item); cap(hi, hiddenCap) end
      if e.creator then redis.call('ZADD', hc, 'NX', n, e.creator); cap(hc, hiddenCap) end
    elseif e.kind == 'follow' and e.creator then
      redis.call('ZADD', fol, 'NX', n, e.creator); cap(fol, hiddenCap)
      redis.call('ZREM', hc, e.creator)
    elseif e.kind == 'unfollow' and e.creator then
      redis.call('ZREM', fol, e.creator)
      redis.call('ZADD', hc, 'NX', n, e.creator); cap(hc, hiddenCap)
    end
  end
end
`;

/** Records the users' activity and returns those beyond the cap (least recently active first). */
const TOUCH_USERS = `
for i = 2, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if over > 0 then return redis.call('ZPOPMIN', KEYS[1], over) end
return {}
`;

const SUFFIXES = ['rec', 'seen', 'hi', 'hc', 'fol', 'pos', 'ids', 'seq'] as const;

type RedisClient = Redis | Cluster;
type ScriptClient = RedisClient & {
  applyUser(...args: (string | number)[]): Promise<unknown>;
  touchUsers(key: string, ...args: (string | number)[]): Promise<string[]>;
};

/** A client for `redis://` (one server) or, with several comma-separated hosts, a Redis Cluster. */
export function createRedis(url: string): RedisClient {
  const hosts = url.replace(/^rediss?:\/\//, '').split(',');
  // Commands issued in one event-loop turn go out as one pipeline: a request's reads cost one round trip.
  const options = { enableAutoPipelining: true, maxRetriesPerRequest: 3, lazyConnect: true };
  if (hosts.length === 1) return new Redis(url, options);
  return new Cluster(
    hosts.map((h) => {
      const [host, port] = h.split(':');
      return { host: host!, port: Number(port ?? 6379) };
    }),
    { enableAutoPipelining: true, lazyConnect: true },
  );
}

/** Per-user online state in Redis: written from the event stream, read per request. */
export class RedisUserStore {
  private readonly client: ScriptClient;
  private clock = 0;

  constructor(
    client: RedisClient,
    private readonly cfg: OnlineConfig,
  ) {
    client.defineCommand('applyUser', { numberOfKeys: SUFFIXES.length, lua: APPLY_USER });
    client.defineCommand('touchUsers', { numberOfKeys: 1, lua: TOUCH_USERS });
    this.client = client as ScriptClient;
  }

  private keys(userId: string): string[] {
    return SUFFIXES.map((s) => `${this.cfg.redisKeyPrefix}{${userId}}:${s}`);
  }

  /** Applies the events (one script per user, all in one pipeline), then evicts users beyond `maxUsers`. */
  async write(events: readonly EngagementEvent[]): Promise<void> {
    const byUser = new Map<string, object[]>();
    for (const e of events) {
      let list = byUser.get(e.user_id);
      if (!list) byUser.set(e.user_id, (list = []));
      const entry: RecentEngagement = { item_id: e.item_id ?? '', kind: e.kind, ts: e.ts };
      if (e.watch_ms !== undefined) entry.watch_ms = e.watch_ms;
      if (e.duration_ms !== undefined) entry.duration_ms = e.duration_ms;
      list.push({ id: e.event_id, kind: e.kind, ts: String(e.ts), item: e.item_id, creator: e.creator_id, entry: JSON.stringify(entry) });
    }
    if (byUser.size === 0) return;
    const c = this.cfg;
    const caps = [c.recentPerUser, c.seenPerUser, c.hiddenPerUser, c.positivePerUser, c.redisDedupPerUser];
    const touches: (string | number)[] = [];
    const writes = [...byUser].map(([user, list]) => {
      touches.push(Date.now() * 1000 + (this.clock++ % 1000), user);
      return this.client.applyUser(...this.keys(user), ...caps, JSON.stringify(list));
    });
    await Promise.all(writes);
    const evicted = await this.client.touchUsers(`${c.redisKeyPrefix}users`, c.maxUsers, ...touches);
    // ZPOPMIN answers member, score, member, score...
    const gone = evicted.filter((_, i) => i % 2 === 0);
    await Promise.all(gone.map((u) => this.client.del(...this.keys(u))));
  }

  /** Deletes everything held about the user (a data deletion request). */
  async forget(userId: string): Promise<void> {
    await Promise.all([this.client.del(...this.keys(userId)), this.client.zrem(`${this.cfg.redisKeyPrefix}users`, userId)]);
  }

  /** One round trip: the user's full snapshot and the peers' recent and positive lists. */
  async load(userId: string, peers: readonly string[]): Promise<{ user: UserSnapshot; peers: Map<string, UserSnapshot> }> {
    const c = this.cfg;
    const read = (id: string, full: boolean) => {
      const [rec, seen, hi, hc, fol, pos] = this.keys(id);
      const none = Promise.resolve<string[]>([]);
      return Promise.all([
        this.client.zrevrange(rec!, 0, c.recentPerUser - 1),
        full ? this.client.zrange(seen!, 0, -1) : none,
        full ? this.client.zrange(hi!, 0, -1) : none,
        full ? this.client.zrange(hc!, 0, -1) : none,
        full ? this.client.zrange(fol!, 0, -1) : none,
        this.client.zrevrange(pos!, 0, c.positivePerUser - 1),
      ]).then(
        ([r, s, h, k, f, p]): UserSnapshot => ({
          recent: r.map((m) => JSON.parse(m.slice(m.indexOf('|') + 1)) as RecentEngagement),
          seen: new Set(s),
          hiddenItems: new Set(h),
          hiddenCreators: new Set(k),
          followed: new Set(f),
          positive: p,
        }),
      );
    };
    const [user, ...rest] = await Promise.all([read(userId, true), ...peers.map((p) => read(p, false))]);
    return { user: user!, peers: new Map(peers.map((p, i) => [p, rest[i]!])) };
  }
}
