import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogMessage } from '../../ingest/catalog-writes.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { testConfig } from '../../test/stack.ts';
import { createApp } from '../app.ts';
import { usersRoutes } from './users.ts';

/** The people's-data routes in front of a ClickHouse that is not there (nothing listens on port 9). */
const config = testConfig({ clickhouse: { url: 'http://127.0.0.1:9', requestTimeoutMs: 2_000 } });
const clickhouse = createClickHouse(config, config.clickhouse.database, true);
const sent: CatalogMessage[] = [];
const app = createApp(config, [usersRoutes({ clickhouse, producer: { send: async (m) => void sent.push(...m), close: async () => undefined }, apply: () => undefined })]);
const ADMIN = { 'x-api-key': 'demo-admin-key' };

afterAll(() => clickhouse.close());

describe('people’s data routes', () => {
  it('need an admin key and a valid id', async () => {
    expect((await app.request('/v1/users/u1', { method: 'DELETE', headers: { 'x-api-key': 'demo-app-key' } })).status).toBe(403);
    expect((await app.request('/v1/users/u1/export', { headers: { 'x-api-key': 'demo-publisher-key' } })).status).toBe(403);
    const bad = await app.request(`/v1/users/${encodeURIComponent('x y')}/export`, { headers: ADMIN });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('path.id');
  });

  it('answer 503 with retry-after when ClickHouse is unavailable, and tell no replica to forget', async () => {
    for (const [method, path] of [
      ['DELETE', '/v1/users/u1'],
      ['GET', '/v1/users/u1/export'],
    ] as const) {
      const res = await app.request(path, { method, headers: ADMIN });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('clickhouse_unavailable');
    }
    expect(sent).toEqual([]);
  });
});
