/** What the serving path needs from trained models; implemented in models/, used by ranker/. */

export const OBJECTIVES = ['complete', 'watch', 'like', 'share', 'purchase'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface UserContext {
  userId: string;
  locale: string;
  segment: string;
  /** Recent engagement, most recent first. */
  recent: { item_id: string; kind: string; watch_ms?: number; duration_ms?: number; ts: number }[];
}

export interface RetrievalModel {
  version: string;
  dim: number;
  /** L2-normalised user vector. */
  userVector(user: UserContext): Float32Array;
  /** L2-normalised vector of a catalog item, or undefined for an item the model has no row for. */
  itemVector(itemId: string): Float32Array | undefined;
}
