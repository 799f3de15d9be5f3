import { randomBytes } from 'node:crypto';
import { sleep } from '../../core/errors.ts';
import { BENCH_KEY } from '../feed/feed.ts';
import type { ChildServer } from '../harness/child.ts';

const headers = { 'x-api-key': BENCH_KEY, 'content-type': 'application/json' };
const TIMEOUT_MS = 10_000;

export interface CatalogWriteTrial {
  /** POST /v1/items on A answered 200 -> GET /v1/items/:id on B finds it. */
  publishMs: number | null;
  /** DELETE /v1/items/:id on A answered 200 -> B reports it unavailable. */
  retireMs: number | null;
}

async function item(server: ChildServer, id: string): Promise<{ available: boolean } | undefined> {
  const res = await fetch(`${server.url}/v1/items/${id}`, { headers });
  if (res.status === 404) {
    await res.arrayBuffer();
    return undefined;
  }
  if (res.status !== 200) throw new Error(`GET /v1/items/${id} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { available: boolean };
}

/** Polls `until` back to back (5 ms apart) and returns ms since `from`, or null after TIMEOUT_MS. */
async function waitMs(from: number, until: () => Promise<boolean>): Promise<number | null> {
  while (performance.now() - from < TIMEOUT_MS) {
    if (await until()) return performance.now() - from;
    await sleep(5);
  }
  return null;
}

/**
 * One catalog-write trial across replicas: publish a copy of `template` as a new video on A,
 * time until B serves it (Kafka catalog topic -> B's catalog follower), then retire it on A and
 * time until B reports it unavailable.
 */
export async function catalogWriteTrial(a: ChildServer, b: ChildServer, template: string): Promise<CatalogWriteTrial> {
  const res = await fetch(`${a.url}/v1/items/${template}`, { headers });
  if (res.status !== 200) throw new Error(`GET /v1/items/${template} answered ${res.status}`);
  const t = (await res.json()) as { creator_id: string; category: string; locale: string; duration_ms: number };
  const id = `bench-new-${randomBytes(5).toString('hex')}`;
  const row = { item_id: id, creator_id: t.creator_id, title: 'bench', category: t.category, locale: t.locale, duration_ms: t.duration_ms };
  const posted = await fetch(`${a.url}/v1/items`, { method: 'POST', headers, body: JSON.stringify([row]) });
  if (posted.status !== 200) throw new Error(`POST /v1/items answered ${posted.status}: ${await posted.text()}`);
  await posted.arrayBuffer();
  const publishMs = await waitMs(performance.now(), async () => (await item(b, id)) !== undefined);
  const retired = await fetch(`${a.url}/v1/items/${id}`, { method: 'DELETE', headers });
  if (retired.status !== 200) throw new Error(`DELETE /v1/items/${id} answered ${retired.status}: ${await retired.text()}`);
  await retired.arrayBuffer();
  const retireMs = await waitMs(performance.now(), async () => (await item(b, id))?.available === false);
  return { publishMs, retireMs };
}
