import { withContext } from '../../core/errors.ts';
import { FeedResponseSchema } from '../../feed-api/feed-response.ts';
import { describeIssues, type EngagementEvent } from '../../ingest/events.ts';
import type { ItemWrite } from '../../ingest/catalog-writes.ts';
import type { PoolStanding } from '../../ranker/traffic-pool.ts';
import type { FeedPage, FeedPolicy, PageContext, PublishOutcome } from './types.ts';

export interface HttpPolicyOptions {
  /** Base URL of a running feed API, e.g. http://127.0.0.1:8080. */
  url: string;
  apiKey: string;
  /** Key for POST /v1/items (needs the publisher role); default `apiKey`. */
  publisherKey?: string;
  /** Events per POST /v1/events (at most 500, the API's batch limit). */
  batchSize?: number;
  timeoutMs?: number;
  /** Replaceable for tests (e.g. a Hono app's `request`). */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

export interface HttpPolicyStats {
  pages: number;
  postedEvents: number;
  rejectedEvents: number;
  posts: number;
}

async function failure(res: Response, what: string): Promise<Error> {
  let detail = '';
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      detail = body.error ? `${body.error.code ?? 'error'}: ${body.error.message ?? ''}` : text.slice(0, 200);
    } catch {
      detail = text.slice(0, 200);
    }
  } catch {
    // The status alone has to do.
  }
  return new Error(`${what} returned HTTP ${res.status}${detail ? ` (${detail})` : ''}`);
}

/**
 * The real engine over HTTP: pages come from GET /v1/feed and the simulated users' events go
 * back through POST /v1/events, so the engine learns while it is being measured.
 */
export function httpPolicy(opts: HttpPolicyOptions): FeedPolicy & { stats: HttpPolicyStats; publish: NonNullable<FeedPolicy['publish']> } {
  const base = opts.url.replace(/\/+$/, '');
  const batchSize = Math.min(500, Math.max(1, opts.batchSize ?? 500));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const doFetch = opts.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const headers = { 'x-api-key': opts.apiKey };
  const stats: HttpPolicyStats = { pages: 0, postedEvents: 0, rejectedEvents: 0, posts: 0 };
  let buffer: EngagementEvent[] = [];

  const post = async (events: EngagementEvent[]) => {
    const res = await withContext(`posting ${events.length} events to ${base}/v1/events`, () =>
      doFetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
    if (!res.ok) throw await failure(res, `POST ${base}/v1/events`);
    const body = (await res.json().catch(() => ({}))) as { rejected?: unknown };
    const rejected = Array.isArray(body.rejected) ? body.rejected.length : typeof body.rejected === 'number' ? body.rejected : 0;
    stats.posts++;
    stats.postedEvents += events.length;
    stats.rejectedEvents += rejected;
  };

  return {
    name: 'http',
    commerceSlots: true,
    stats,
    async page(userId: string, count: number, cursor?: string, ctx?: PageContext): Promise<FeedPage> {
      const q = new URLSearchParams({ user_id: userId, count: String(count) });
      if (cursor) q.set('cursor', cursor);
      if (ctx?.locale) q.set('locale', ctx.locale);
      const url = `${base}/v1/feed?${q}`;
      const res = await withContext(`requesting ${url}`, () => doFetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) }));
      if (!res.ok) throw await failure(res, `GET ${base}/v1/feed`);
      const parsed = FeedResponseSchema.safeParse(await res.json());
      if (!parsed.success) throw new Error(`GET ${base}/v1/feed returned a response that breaks the feed contract: ${describeIssues(parsed.error)}`);
      stats.pages++;
      const { items, cursor: next, request_id } = parsed.data;
      return { entries: items, cursor: next, request_id };
    },
    async publish(items: readonly ItemWrite[]): Promise<PublishOutcome> {
      const res = await withContext(`publishing ${items.length} items to ${base}/v1/items`, () =>
        doFetch(`${base}/v1/items`, {
          method: 'POST',
          headers: { 'x-api-key': opts.publisherKey ?? opts.apiKey, 'content-type': 'application/json' },
          body: JSON.stringify(items),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      if (res.ok) return { ok: true };
      return { ok: false, status: res.status, error: (await failure(res, `POST ${base}/v1/items`)).message };
    },
    async poolStanding(itemId: string): Promise<PoolStanding> {
      const url = `${base}/v1/items/${encodeURIComponent(itemId)}`;
      const res = await withContext(`requesting ${url}`, () => doFetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) }));
      if (!res.ok) throw await failure(res, `GET ${base}/v1/items/:id`);
      const body = (await res.json()) as { traffic_pool?: PoolStanding };
      return body.traffic_pool ?? { tier: null, stopped: null };
    },
    async observe(events: readonly EngagementEvent[]): Promise<void> {
      buffer.push(...events);
      while (buffer.length >= batchSize) {
        const batch = buffer.slice(0, batchSize);
        buffer = buffer.slice(batchSize);
        await post(batch);
      }
    },
    async close(): Promise<void> {
      if (buffer.length === 0) return;
      const rest = buffer;
      buffer = [];
      await post(rest);
    },
  };
}

/** The engine's tfjs backend and promoted model version (GET /v1/health), recorded with results. */
export async function engineInfo(url: string, apiKey: string): Promise<{ tfjs: string; reason: string; model: string | null }> {
  const base = url.replace(/\/+$/, '');
  const res = await withContext(`reading ${base}/v1/health`, () => fetch(`${base}/v1/health`, { headers: { 'x-api-key': apiKey }, signal: AbortSignal.timeout(10_000) }));
  if (!res.ok) throw await failure(res, `GET ${base}/v1/health`);
  const body = (await res.json()) as { components?: { tfjs?: { backend?: string; reason?: string }; model?: { version?: string | null } } };
  const c = body.components ?? {};
  return { tfjs: c.tfjs?.backend ?? 'unknown', reason: c.tfjs?.reason ?? 'not reported by the engine', model: c.model?.version ?? null };
}
