import type { PoolStanding } from '../../ranker/traffic-pool.ts';
import type { FeedEntry } from '../../feed-api/feed-response.ts';
import type { EngagementEvent } from '../../ingest/events.ts';
import type { ItemWrite } from '../../ingest/catalog-writes.ts';

export interface FeedPage {
  entries: FeedEntry[];
  cursor?: string;
  request_id?: string;
}

/** What an in-process policy may know about the moment of the request. */
export interface PageContext {
  /** Simulated time; items published later do not exist yet. */
  nowSec: number;
  /** The device's language, for users the policy does not know. */
  locale?: string;
}

/** Something that serves feed pages: a baseline in this process or the real feed API. */
export interface FeedPolicy {
  name: string;
  /** Serves product and live slots besides videos (only the engine's commerce blending does). */
  commerceSlots?: boolean;
  page(userId: string, count: number, cursor?: string, ctx?: PageContext): Promise<FeedPage>;
  /** Events the simulated users produced from this policy's pages (a policy may learn from them). */
  observe?(events: readonly EngagementEvent[]): void | Promise<void>;
  /** Adds new videos to the catalog (the engine's POST /v1/items); absent where a policy cannot. */
  publish?(items: readonly ItemWrite[]): Promise<PublishOutcome>;
  /** A video's traffic-pool tier, or why its audience stopped it (the engine's GET /v1/items/:id). */
  poolStanding?(itemId: string): Promise<PoolStanding>;
  /** Flushes anything buffered (may be called more than once). */
  close?(): Promise<void>;
}

export type PublishOutcome = { ok: true } | { ok: false; status: number; error: string };
