import type { FeedEntry } from '../../feed-api/feed-response.ts';
import type { EngagementEvent } from '../../ingest/events.ts';

export interface FeedPage {
  entries: FeedEntry[];
  cursor?: string;
  request_id?: string;
}

/** What an in-process policy may know about the moment of the request. */
export interface PageContext {
  /** Simulated time; items published later do not exist yet. */
  nowSec: number;
}

/** Something that serves feed pages: a baseline in this process or the real feed API. */
export interface FeedPolicy {
  name: string;
  page(userId: string, count: number, cursor?: string, ctx?: PageContext): Promise<FeedPage>;
  /** Events the simulated users produced from this policy's pages (a policy may learn from them). */
  observe?(events: readonly EngagementEvent[]): void | Promise<void>;
  /** Flushes anything buffered. */
  close?(): Promise<void>;
}
