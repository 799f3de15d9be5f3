import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { MemoryOnlineState } from '../ingest/memory-online-state.ts';
import { makeEvent } from '../ingest/test-helpers.ts';
import { catalogFromRows, makeWorld } from '../ranker/testing.ts';
import { Rng } from '../simulator/world/rng.ts';
import { dropIsolated, isolatedConfig } from '../test/stack.ts';
import { createFeedService, type FeedService } from './service.ts';

/**
 * Seeded fuzzing of the whole API in-process: a few thousand malformed or hostile requests
 * (bad paths and encodings, wrong methods, junk headers, keys and media types, broken and
 * mutated JSON bodies, out-of-range query values). None may answer 5xx or leak a stack trace.
 * FEED_FUZZ_SEED replays another run; a failure names the seed and the request.
 */
const SEED = Number(process.env.FEED_FUZZ_SEED ?? 20);
const REQUESTS = 3000;

const KEYS = ['demo-app-key', 'demo-admin-key', 'wrong-key-123', '', 'x'.repeat(10_000), 'demo-app-key ', 'Bearer demo-app-key'];
const PATHS = [
  '/v1/feed',
  '/v1/events',
  '/v1/health',
  '/v1/items/i1',
  '/v1/products/p1',
  '/v1/demo/users',
  '/metrics',
  '/openapi.json',
  '/v1/admin/dashboard/live',
  '/v1/admin/dashboard/models',
  '/v1/admin/dashboard/models/promote',
  '/v1/admin/dashboard/models/rollback',
  '/v1/admin/dashboard/results',
  '/v1/admin/experiments',
  '/v1/admin/experiments/e1',
  '/v1/admin/experiments/e1/start',
  '/v1/admin/experiments/e1/conclude',
  '/v1/admin/experiments/e1/report',
  '/app/config.json',
  '/app/',
  '/dashboard/',
  '/web/assets/x.js',
  '/v1/nope',
  '/',
];
const JUNK_SEGMENTS = ['%', '%E0%A4%A', '%00', '%FF%FE', '..', '%2e%2e', '%2F', '~', '🙂', 'a'.repeat(5000), ' ', '\t', 'a%20b', '%%', '?', '#'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const MEDIA_TYPES = ['application/json', 'APPLICATION/JSON; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-not', ''];
const QUERY_KEYS = ['user_id', 'count', 'cursor', 'explain', 'locale', 'minutes', 'x'];
const EVENT_FIELDS = ['event_id', 'kind', 'user_id', 'item_id', 'product_id', 'creator_id', 'ts', 'watch_ms', 'duration_ms', 'price', 'quantity', 'position', 'schema_version', 'app'];

/** A value of any JSON type, sometimes nested deeply or long. */
function junkValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, NaN, 1e21]);
    case 3:
      return r.pick(['', 'play', 'u1', ' ', '\u0000', 'a'.repeat(r.int(300)), '2026-01-01T00:00:00Z', '🙂'.repeat(40), '<script>']);
    case 4:
      return r.int(1e9) - 5e8;
    case 5:
      return new Date(Date.now() + (r.float() - 0.5) * 1e12).toISOString();
    case 6:
      return r.pick(JUNK_SEGMENTS);
    case 7:
      return Array.from({ length: r.int(5) }, () => junkValue(r, depth + 1));
    case 8:
      return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.pick([...EVENT_FIELDS, '__proto__', 'constructor']), junkValue(r, depth + 1)]));
    default:
      return '[1,2'.repeat(r.int(3));
  }
}

/** A valid event with one to three fields replaced, removed or added. */
function mutatedEvent(r: Rng, i: number): Record<string, unknown> {
  const e: Record<string, unknown> = { ...makeEvent(i, `fz${r.int(1e6)}`) };
  for (let k = 1 + r.int(3); k > 0; k--) {
    const f = r.pick(EVENT_FIELDS);
    if (r.chance(0.2)) delete e[f];
    else e[f] = junkValue(r);
  }
  return e;
}

function body(r: Rng, i: number): string | undefined {
  switch (r.int(8)) {
    case 0:
      return undefined;
    case 1:
      return JSON.stringify({ events: Array.from({ length: r.int(6) }, (_, k) => mutatedEvent(r, i * 10 + k)) });
    case 2:
      return JSON.stringify({ events: junkValue(r) });
    case 3:
      return JSON.stringify(junkValue(r));
    case 4:
      return '['.repeat(20_000) + ']'.repeat(20_000); // deep nesting
    case 5:
      return JSON.stringify({ version: junkValue(r) });
    case 6:
      return Buffer.from(Array.from({ length: r.int(200) }, () => r.int(256))).toString('latin1');
    default:
      return `{"events": [${JSON.stringify(mutatedEvent(r, i)).slice(0, r.int(60))}`;
  }
}

function path(r: Rng): string {
  let p = r.pick(PATHS);
  if (r.chance(0.3)) p += `/${r.pick(JUNK_SEGMENTS)}`;
  if (r.chance(0.15)) p = p.replace(/\/[^/]*$/, `/${r.pick(JUNK_SEGMENTS)}`);
  if (r.chance(0.7)) {
    const params = Array.from({ length: 1 + r.int(4) }, () => {
      const k = r.pick(QUERY_KEYS);
      const raw = junkValue(r);
      const v = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? '');
      return `${k}=${r.chance(0.5) ? encodeURIComponent(v) : v.replace(/[#\s]/g, '')}`;
    });
    if (r.chance(0.5)) params.push('user_id=u1');
    p += `?${params.join('&')}`;
  }
  return p;
}

function headers(r: Rng): Record<string, string> {
  const h: Record<string, string> = {};
  const key = r.pick(KEYS);
  if (r.chance(0.8)) h[r.chance(0.8) ? 'x-api-key' : 'authorization'] = r.chance(0.1) ? `Bearer ${key}` : key;
  if (r.chance(0.8)) h['content-type'] = r.pick(MEDIA_TYPES);
  if (r.chance(0.2)) h.host = r.pick(['127.0.0.1:8080', 'evil.example', '[::1]', 'x'.repeat(300)]);
  return h;
}

const STACK_TRACE = /\n\s+at .+[:(]\d+|node:internal|\.ts:\d+:\d+/;

describe('API fuzz (seeded, in-process)', () => {
  let service: FeedService;
  let config: Config;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'feed-fuzz-'));
    // High limits: the fuzz is about what each request gets back, not about 429.
    config = await isolatedConfig('fuzz', {
      dataDir,
      api: {
        authFailuresPerMinute: 1_000_000,
        keys: [
          { key: 'demo-app-key', app: 'demo', rateLimitPerMinute: 1_000_000, userRateLimitPerMinute: 1_000_000 },
          { key: 'demo-admin-key', app: 'admin', admin: true, rateLimitPerMinute: 1_000_000, userRateLimitPerMinute: 1_000_000 },
        ],
        maxBodyBytes: 64 * 1024,
      },
      ranker: { trafficPool: { refreshMs: 0 } },
    });
    const producer = { send: async () => undefined, close: async () => undefined };
    service = await createFeedService(config, {
      catalog: catalogFromRows(makeWorld({ items: 200, creators: 20 }), config),
      online: new MemoryOnlineState(),
      producer,
      stackChecks: false,
      onlineTraining: false,
    });
  });

  afterAll(async () => {
    await service?.stop();
    if (config) await dropIsolated(config);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`answers ${REQUESTS} generated bad requests (seed ${SEED}) without a 5xx or a stack trace`, async () => {
    const r = new Rng(SEED, 'fuzz');
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const method = r.pick(METHODS);
      const url = path(r);
      const init: RequestInit = { method, headers: headers(r) };
      const b = body(r, i);
      if (b !== undefined && method !== 'GET' && method !== 'HEAD') init.body = b;
      let res: Response;
      try {
        res = await service.app.request(url, init);
      } catch (err) {
        failures.push(`${method} ${url.slice(0, 200)}: threw ${(err as Error).message}`);
        continue;
      }
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500 || STACK_TRACE.test(text)) {
        failures.push(`${method} ${url.slice(0, 200)} [${JSON.stringify(init.headers).slice(0, 200)}] body ${String(b).slice(0, 200)} -> ${res.status} ${text.slice(0, 300)}`);
      }
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
    // The generator must reach past validation too, or the fuzz says little.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(REQUESTS / 20);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(4);
  });
});
