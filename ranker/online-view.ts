import type { OnlineState } from '../ingest/online-state.ts';

/** What stages may read of the online state (its writes go through ingest, never a stage). */
export type OnlineView = Pick<OnlineState, 'recent' | 'seenItems' | 'hiddenItems' | 'hiddenCreators' | 'followedCreators' | 'itemCounters' | 'trending' | 'positiveItems'>;
