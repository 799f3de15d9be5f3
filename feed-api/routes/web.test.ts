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

  it('answers malformed asset paths with 400 or 404, never 500', async () => {
    const app = createApp(defaults(), [webRoutes({ config: defaults(), distDir: dist })]);
    const statuses = await Promise.all(['/web/%', '/web/%E0%A4%A', '/web/assets/%00', `/web/${'a'.repeat(5000)}`, '/web/robots.txt/x'].map(async (p) => (await app.request(p)).status));
    expect(statuses).toEqual([400, 400, 400, 404, 404]);
  });

  it('sends nosniff, a content security policy and frame-ancestors none with pages and assets', async () => {
    const app = createApp(defaults(), [webRoutes({ config: defaults(), distDir: dist })]);
    for (const path of ['/app/', '/dashboard/', '/web/assets/app-abc123.js']) {
      const res = await app.request(path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('offers only the published demo keys, only while the server accepts them, and only to a loopback Host', async () => {
    const app = createApp(defaults(), [webRoutes({ config: defaults(), distDir: dist })]);
    const offered = await app.request('/app/config.json', { headers: { host: '127.0.0.1:8080' } });
    expect(await offered.json()).toEqual({ app_key: 'demo-app-key', admin_key: 'demo-admin-key' });
    for (const host of ['localhost:8080', '[::1]:8080']) {
      expect(await (await app.request('/app/config.json', { headers: { host } })).json(), host).toEqual({ app_key: 'demo-app-key', admin_key: 'demo-admin-key' });
    }
    // A DNS-rebinding page reaches the loopback server under its own name: no keys for it.
    for (const host of ['evil.example:8080', '127.0.0.1.evil.example', '']) {
      expect(await (await app.request('/app/config.json', { headers: { host } })).json(), host).toEqual({ app_key: null, admin_key: null });
    }
    // Listening beyond loopback: never offered, whatever the Host.
    const open = loadConfig({ overrides: { api: { host: '0.0.0.0' } } });
    const app0 = createApp(open, [webRoutes({ config: open, distDir: dist })]);
    expect(await (await app0.request('/app/config.json', { headers: { host: '127.0.0.1:8080' } })).json()).toEqual({ app_key: null, admin_key: null });

    const own = loadConfig({ overrides: { api: { keys: [{ key: 'a-private-key-123', app: 'mine', admin: true }] } } });
    const app2 = createApp(own, [webRoutes({ config: own, distDir: dist })]);
    expect(await (await app2.request('/app/config.json', { headers: { host: '127.0.0.1:8080' } })).json()).toEqual({ app_key: null, admin_key: null });

    // The demo app key kept beside a private admin key: only the app key is offered.
    const mixed = loadConfig({
      overrides: {
        api: {
          keys: [
            { key: 'demo-app-key', app: 'demo' },
            { key: 'a-private-admin-key', app: 'ops', admin: true },
          ],
        },
      },
    });
    const app3 = createApp(mixed, [webRoutes({ config: mixed, distDir: dist })]);
    expect(await (await app3.request('/app/config.json', { headers: { host: 'localhost' } })).json()).toEqual({ app_key: 'demo-app-key', admin_key: null });
  });
});
