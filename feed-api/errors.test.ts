import { connect } from 'node:net';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { FeedError, withContext } from '../core/errors.ts';
import { createApp } from './app.ts';
import { onError } from './errors.ts';
import { eventsRoutes } from './routes/events.ts';
import { opsRoutes } from './routes/ops.ts';
import { listen } from './server.ts';
import { metricDelta } from '../test/metric-delta.ts';

describe('a client that disconnects mid-upload', () => {
  it('is counted as a client abort, not as a 500', async () => {
    const config = loadConfig({ env: {} });
    const producer = { send: async () => undefined, close: async () => undefined };
    const server = await listen(createApp(config, [opsRoutes([]), eventsRoutes({ config, producer })]), config, 0);
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    try {
      const before = await scrape();
      const sock = connect(Number(new URL(server.url).port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write('POST /v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: demo-app-key\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"events":[');
      await new Promise((r) => setTimeout(r, 100));
      sock.destroy();
      let after = before;
      for (let i = 0; i < 50 && Object.keys(metricDelta(before, after, 'feed_http_client_aborts_total{')).length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = await scrape();
      }
      expect(metricDelta(before, after, 'feed_http_client_aborts_total{')).toEqual({ 'feed_http_client_aborts_total{route="/v1/events"}': 1 });
      expect(metricDelta(before, after, 'feed_http_request_duration_seconds_count{method="POST",route="/v1/events"')).toEqual({
        'feed_http_request_duration_seconds_count{method="POST",route="/v1/events",status="499"}': 1,
      });
    } finally {
      await server.close();
    }
  });
});

describe('the one error type', () => {
  const app = new Hono();
  app.onError(onError);
  app.get('/conflict', () => {
    throw new FeedError('conflict', 'experiment "e1" is running; stop it first');
  });
  app.get('/limited', () => {
    throw new FeedError('rate_limited', 'too many', { retryAfterS: 7 });
  });
  app.get('/unauthorized', () => {
    throw new FeedError('unauthorized', 'unknown API key');
  });
  app.get('/internal', () => withContext('reading the secret table', async () => Promise.reject(new Error('password=hunter2 rejected'))));

  it('answers each code with its status and the error body, and keeps server faults in the logs', async () => {
    const conflict = await app.request('/conflict');
    expect([conflict.status, await conflict.json()]).toEqual([409, { error: { code: 'conflict', message: 'experiment "e1" is running; stop it first' } }]);
    const limited = await app.request('/limited');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    const unauthorized = await app.request('/unauthorized');
    expect([unauthorized.status, unauthorized.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    const internal = await app.request('/internal');
    expect(internal.status).toBe(500);
    expect(await internal.text()).not.toContain('hunter2');
  });
});
