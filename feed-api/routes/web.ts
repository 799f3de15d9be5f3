import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { z } from 'zod';
import { ApiConfigSchema, type Config } from '../../config/schema.ts';
import { isLoopback } from '../../config/security.ts';
import type { RouteModule } from '../app.ts';
import { jsonContent } from '../openapi.ts';

/**
 * Serves the built web pages (`npm run build:web` writes web/dist): the feed app at /app/,
 * the team dashboard at /dashboard/, their assets under /web/.
 *
 * GET /app/config.json hands the pages an API key only in the demo setup: the server still
 * accepts a published default key (demo-app-key, demo-admin-key), listens on loopback, and the
 * request names a loopback Host (a DNS-rebinding page reaches 127.0.0.1 under its own name).
 * Otherwise it returns nulls and the pages ask for a key.
 */
export interface WebOptions {
  config: Config;
  /** The Vite build output; defaults to web/dist in this repository. */
  distDir?: string;
}

const WebConfigSchema = z.object({
  app_key: z.string().nullable().describe('the default demo key, when the server still accepts it'),
  admin_key: z.string().nullable().describe('the default admin key, when the server still accepts it'),
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const defaultDist = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The published default keys that this server still accepts. */
function exposedDemoKeys(config: Config): z.infer<typeof WebConfigSchema> {
  const defaults = ApiConfigSchema.parse({}).keys;
  const accepted = (admin: boolean) => {
    const d = defaults.find((k) => k.admin === admin);
    return d && config.api.keys.some((k) => k.key === d.key && k.admin === admin) ? d.key : null;
  };
  return { app_key: accepted(false), admin_key: accepted(true) };
}

/** The hostname of a Host header is a loopback name or address. */
function loopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  try {
    return isLoopback(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

/** The pages load only their own scripts, styles and data, and no one may frame them (clickjacking the dashboard's promote button). */
const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  // Plain HTTP on loopback: HSTS would only confuse a later local server.
  strictTransportSecurity: false,
});

/** Reading these means "no such file" (a name too long, a path through a file), never a server fault. */
const NOT_FOUND_CODES = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG']);

export function webRoutes(opts: WebOptions): RouteModule {
  const dist = resolve(opts.distDir ?? defaultDist);
  const demoKeys = exposedDemoKeys(opts.config);
  const noKeys = { app_key: null, admin_key: null };
  const loopbackServer = isLoopback(opts.config.api.host);

  async function sendFile(c: Context, relative: string, cacheControl: string): Promise<Response> {
    const path = resolve(dist, relative);
    if (path !== dist && !path.startsWith(dist + sep)) return c.text('not found', 404);
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code || !NOT_FOUND_CODES.has(code)) throw err;
      if (relative.endsWith('index.html')) {
        return c.html('<h1>The web app is not built</h1><p>Run <code>npm run build:web</code>, then reload.</p>', 503);
      }
      return c.text('not found', 404);
    }
    return c.body(new Uint8Array(body), 200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'cache-control': cacheControl,
    });
  }

  return {
    name: 'web',
    register(app) {
      const route = createRoute({
        method: 'get',
        path: '/app/config.json',
        summary: 'Keys the web pages may use without asking: the published demo defaults, to a loopback Host of a loopback server',
        security: [],
        responses: { 200: jsonContent('keys or nulls', WebConfigSchema) },
      });
      // The pages and their assets below are files, not API routes: they stay out of the document.
      app.openapi(route, (c) => c.json(loopbackServer && loopbackHostHeader(c.req.header('host')) ? demoKeys : noKeys, 200, { 'cache-control': 'no-store', vary: 'host' }));

      for (const page of ['app', 'dashboard']) {
        app.use(`/${page}`, pageHeaders);
        app.use(`/${page}/*`, pageHeaders);
        app.get(`/${page}`, (c) => c.redirect(`/${page}/`, 301));
        app.get(`/${page}/`, (c) => sendFile(c, `${page}/index.html`, 'no-cache'));
      }
      // Vite puts content hashes in asset names, so those can be cached for good.
      app.use('/web/*', pageHeaders);
      app.get('/web/*', (c) => {
        let relative: string;
        try {
          relative = decodeURIComponent(c.req.path.slice('/web/'.length));
        } catch {
          return c.text('bad request: malformed percent-encoding in the path', 400);
        }
        if (relative.includes('\0')) return c.text('bad request: NUL in the path', 400);
        return sendFile(c, relative, relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      });
    },
  };
}
