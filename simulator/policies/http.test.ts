import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { EngagementEventSchema } from '../../ingest/events.ts';
import { simulate } from '../simulate.ts';
import { generateWorld } from '../world/generate.ts';
import { httpPolicy } from './http.ts';
import { videoEntry } from './in-process.ts';

const world = generateWorld({ seed: 8, items: 500, users: 60, nowSec: Math.floor(Date.now() / 1000) });

/** A stand-in for the feed API that speaks the GET /v1/feed and POST /v1/events contract. */
function stubApi() {
  const app = new Hono();
  const posts: unknown[][] = [];
  const cursors: (string | undefined)[] = [];
  let n = 0;
  app.use('*', async (c, next) => {
    if (c.req.header('x-api-key') !== 'test-key-123') return c.json({ error: { code: 'unauthorized', message: 'missing or unknown API key' } }, 401);
    await next();
  });
  app.get('/v1/feed', (c) => {
    const count = Number(c.req.query('count'));
    cursors.push(c.req.query('cursor'));
    const page = ++n;
    const items = Array.from({ length: count }, (_, k) => videoEntry(world, (page * 7 + k * 13) % 500, k, 'stub', 1));
    return c.json({ request_id: `r${page}`, user_id: c.req.query('user_id'), cursor: `cur${page}`, items, end_of_feed: false });
  });
  app.get('/v1/items/:id', (c) => c.json({ item_id: c.req.param('id'), traffic_pool: { tier: null, stopped: `audience of first-audience: seen ${c.req.param('id')}` } }));
  app.post('/v1/events', async (c) => {
    const body = (await c.req.json()) as { events: unknown[] };
    posts.push(body.events);
    return c.json({ accepted: body.events.map((e) => (e as { event_id: string }).event_id), rejected: [] });
  });
  return { app, posts, cursors };
}

describe('http policy', () => {
  it('reads a video’s traffic-pool standing from GET /v1/items/:id, with the id escaped', async () => {
    const { app } = stubApi();
    const policy = httpPolicy({ url: 'http://feed.test/', apiKey: 'test-key-123', fetch: (url, init) => Promise.resolve(app.request(url, init)) });
    expect(await policy.poolStanding!('v 1')).toEqual({ tier: null, stopped: 'audience of first-audience: seen v 1' });
  });

  it('pages through GET /v1/feed with the cursor and posts every event back in batches of at most 500', async () => {
    const { app, posts, cursors } = stubApi();
    const policy = httpPolicy({ url: 'http://feed.test/', apiKey: 'test-key-123', fetch: (url, init) => Promise.resolve(app.request(url, init)) });
    const report = await simulate(world, policy, { users: 30, sessions: 2, seed: 3, wallClock: true, runTag: 'http' });
    expect(report.sessions).toBe(60);
    const events = posts.flat();
    expect(posts.length).toBeGreaterThan(1);
    expect(posts.every((b) => b.length <= 500)).toBe(true);
    expect(events.length).toBe(report.events);
    expect(policy.stats.postedEvents).toBe(events.length);
    for (const e of events) {
      const parsed = EngagementEventSchema.safeParse(e);
      expect(parsed.success).toBe(true);
      expect((e as { request_id?: string }).request_id).toMatch(/^r\d+$/);
    }
    expect(cursors.some((c) => c?.startsWith('cur'))).toBe(true);
  });

  it('fails with the status and the API error when the key is wrong', async () => {
    const { app } = stubApi();
    const policy = httpPolicy({ url: 'http://feed.test', apiKey: 'wrong-key-1', fetch: (url, init) => Promise.resolve(app.request(url, init)) });
    await expect(policy.page('u1', 5)).rejects.toThrow(/GET http:\/\/feed\.test\/v1\/feed returned HTTP 401 \(unauthorized: missing or unknown API key\)/);
  });

  it('rejects a response that breaks the feed contract', async () => {
    const policy = httpPolicy({ url: 'http://feed.test', apiKey: 'k', fetch: async () => Response.json({ items: [{ type: 'video' }] }) });
    await expect(policy.page('u1', 5)).rejects.toThrow(/breaks the feed contract: request_id/);
  });

  it('says which URL could not be reached', async () => {
    const policy = httpPolicy({ url: 'http://127.0.0.1:1', apiKey: 'k', timeoutMs: 2000 });
    await expect(policy.page('u1', 5)).rejects.toThrow(/requesting http:\/\/127\.0\.0\.1:1\/v1\/feed/);
  });
});
