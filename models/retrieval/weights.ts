import { isPositiveKind, type EventKind, type PositiveKind } from '../../ingest/events.ts';

/** Weight of each positive engagement kind (ingest/events.ts): keyed by the type, so a new positive kind needs one. */
const POSITIVE_WEIGHT: Record<PositiveKind, number> = { complete: 1.5, like: 2, share: 2.5, add_to_cart: 2.5, purchase: 3 };

/** Interest short of positive engagement: opening the comments or the product card. */
const INTEREST_WEIGHT: Partial<Record<EventKind, number>> = { comment: 2, product_click: 2 };

/**
 * How much one engagement says about interest: watch-time weighted (a play counts by the share
 * of the video watched), stronger for explicit actions, zero for negative or passive ones.
 */
export function engagementWeight(kind: EventKind, watchMs?: number, durationMs?: number): number {
  if (kind === 'play') {
    if (!durationMs || durationMs <= 0) return watchMs ? 0.5 : 0;
    return Math.min(2, (watchMs ?? 0) / durationMs);
  }
  return isPositiveKind(kind) ? POSITIVE_WEIGHT[kind] : (INTEREST_WEIGHT[kind] ?? 0);
}
