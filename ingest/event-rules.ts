/** Constants of the event schema, shared by the zod schema (events.ts) and its fast path (fast-event.ts). */

/** Version of the event payload; consumers dead-letter versions they cannot read. */
export const EVENT_SCHEMA_VERSION = 1;

export const EVENT_KINDS = [
  'impression',
  'play',
  'complete',
  'like',
  'unlike',
  'share',
  'comment',
  'follow',
  'unfollow',
  'skip',
  'not_interested',
  'product_impression',
  'product_click',
  'add_to_cart',
  'purchase',
  'live_enter',
  'live_exit',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * Positive engagement: the kinds that say a person liked an item. The one definition behind
 * friends' positive items (online state), segment popularity (item stats), item-to-item seeds
 * and the engagement weights of training.
 */
export const POSITIVE_KINDS = ['like', 'complete', 'share', 'add_to_cart', 'purchase'] as const satisfies readonly EventKind[];
export type PositiveKind = (typeof POSITIVE_KINDS)[number];
const positiveKinds: ReadonlySet<EventKind> = new Set(POSITIVE_KINDS);

export function isPositiveKind(kind: EventKind): kind is PositiveKind {
  return positiveKinds.has(kind);
}

/** A play is positive engagement too when at least this share of the video was watched (or its length is unknown). */
const WELL_WATCHED = 0.5;

/** Positive engagement in an item history, where plays carry their watch time. */
export function isPositiveEngagement(e: { kind: EventKind; watch_ms?: number; duration_ms?: number }): boolean {
  if (e.kind === 'play') return !e.duration_ms || (e.watch_ms ?? 0) >= WELL_WATCHED * e.duration_ms;
  return isPositiveKind(e.kind);
}

/** Events older than this are rejected (historical imports go straight to ClickHouse). */
export const MAX_EVENT_AGE_MS = 400 * 24 * 3600 * 1000;
export const MAX_CLOCK_SKEW_MS = 3600 * 1000;

/** Fields each kind must carry (not_interested needs item_id or creator_id). */
export const REQUIRED_FIELDS: Partial<Record<EventKind, readonly string[]>> = {
  impression: ['item_id'],
  play: ['item_id', 'watch_ms', 'duration_ms'],
  complete: ['item_id'],
  like: ['item_id'],
  unlike: ['item_id'],
  share: ['item_id'],
  comment: ['item_id'],
  follow: ['creator_id'],
  unfollow: ['creator_id'],
  skip: ['item_id'],
  product_impression: ['product_id'],
  product_click: ['product_id'],
  add_to_cart: ['product_id'],
  purchase: ['product_id', 'price', 'quantity'],
  live_enter: ['live_id'],
  live_exit: ['live_id'],
};
