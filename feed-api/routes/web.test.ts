import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import { createApp } from '../app.ts';
import { webRoutes } from './web.ts';

let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'web-dist-'));
  await mkdir(join(dist, 'app'), { recursive: true });
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'app', 'index.html'), '<!doctype html><title>feed</title>');
  await writeFile(join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
  await writeFile(join(dist, 'robots.txt'), 'User-agent: *');
});

afterAll(async () => {
  if (dist) await rm(dist, { recursive: true, force: true });
});

const defaults = () => loadConfig({ overrides: {} });

describe('web routes', () => {
  it('serves the pages and their hashed assets with fitting cache headers', async () => {
    const app = createApp(defaults(), [webRoutes({ config: defaults(), distDir: dist })]);
    const redirect = await app.request('/app');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/app/');

    const page = await app.request('/app/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('<title>feed</title>');

    const asset = await app.request('/web/assets/app-abc123.js');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log(1)');
    expect((await app.request('/web/robots.txt')).headers.get('cache-control')).toBe('no-cache');
  });

  it('never serves files outside the build and says when the build is missing', async () => {
    const app = createApp(defaults(), [webRoutes({ config: defaults(), distDir: dist })]);
    expect((await app.request('/web/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await app.request('/web/assets/nope.js')).status).toBe(404);
    const missing = await app.request('/dashboard/');
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain('npm run build:web');
  });

  it('offers only the published demo keys, and only while the server accepts them', async () => {
    const app = createApp(defaults(), [webRoutes({ config: defaults(), distDir: dist })]);
    const offered = await app.request('/app/config.json');
    expect(await offered.json()).toEqual({ app_key: 'demo-app-key', admin_key: 'demo-admin-key' });

    const own = loadConfig({ overrides: { api: { keys: [{ key: 'a-private-key-123', app: 'mine', admin: true }] } } });
    const app2 = createApp(own, [webRoutes({ config: own, distDir: dist })]);
    expect(await (await app2.request('/app/config.json')).json()).toEqual({ app_key: null, admin_key: null });

    // The demo app key kept beside a private admin key: only the app key is offered.
    const mixed = loadConfig({
      overrides: { api: { keys: [{ key: 'demo-app-key', app: 'demo' }, { key: 'a-private-admin-key', app: 'ops', admin: true }] } },
    });
    const app3 = createApp(mixed, [webRoutes({ config: mixed, distDir: dist })]);
    expect(await (await app3.request('/app/config.json')).json()).toEqual({ app_key: 'demo-app-key', admin_key: null });
  });
});
