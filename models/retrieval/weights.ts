/**
 * How much one engagement says about interest: watch-time weighted (a play counts by the share
 * of the video watched), stronger for explicit actions, zero for negative or passive ones.
 */
export function engagementWeight(kind: string, watchMs?: number, durationMs?: number): number {
  switch (kind) {
    case 'play': {
      if (!durationMs || durationMs <= 0) return watchMs ? 0.5 : 0;
      return Math.min(2, (watchMs ?? 0) / durationMs);
    }
    case 'complete':
      return 1.5;
    case 'like':
    case 'comment':
    case 'product_click':
      return 2;
    case 'share':
    case 'add_to_cart':
      return 2.5;
    case 'purchase':
      return 3;
    default:
      return 0;
  }
}
