import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLoopStep } from './open-loop.ts';

let server: Server | undefined;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('openLoopStep', () => {
  it('offers rate x duration requests and counts HTTP errors', async () => {
    const paths: string[] = [];
    const baseUrl = await serve((req, res) => {
      paths.push(req.url!);
      res.statusCode = req.url!.endsWith('u3') ? 500 : 200;
      res.end('ok');
    });
    const r = await openLoopStep({ baseUrl, rate: 200, durationS: 0.15, path: (i) => `/x?user=u${i % 5}` });
    expect(r.sent).toBe(30);
    expect(paths).toHaveLength(30);
    expect(r.errors).toBe(6);
    expect(r.ok).toBe(24);
    expect(r.first_error).toBe('HTTP 500');
  });

  it('charges queueing delay to latency instead of slowing the offered rate', async () => {
    // One socket, 40 ms per response: 25 req/s capacity against 100 req/s offered. A
    // closed-loop tool would report about 40 ms; due-time latency grows with the backlog.
    const baseUrl = await serve((_req, res) => setTimeout(() => res.end('ok'), 40));
    const r = await openLoopStep({ baseUrl, rate: 100, durationS: 0.15, maxSockets: 1, path: () => '/' });
    expect(r.ok).toBe(15);
    // The last request is due at 0.14 s and served no earlier than 15 x 40 ms = 0.6 s; the
    // middle one is due at 70 ms and served no earlier than 8 x 40 ms.
    expect(r.max_ms).toBeGreaterThan(400);
    expect(r.p50_ms).toBeGreaterThan(100);
  });

  it('counts unanswered requests as timeouts', async () => {
    const baseUrl = await serve(() => {});
    const r = await openLoopStep({ baseUrl, rate: 20, durationS: 0.1, timeoutMs: 100, path: () => '/' });
    expect(r.sent).toBe(2);
    expect(r.timeouts).toBe(2);
    expect(r.errors).toBe(2);
  });
});
