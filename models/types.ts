/** What the serving path needs from trained models; implemented in models/, used by ranker/. */
import type { EventKind } from '../ingest/events.ts';

export const OBJECTIVES = ['complete', 'watch', 'like', 'share', 'follow', 'purchase'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface UserContext {
  userId: string;
  locale: string;
  segment: string;
  /** Recent engagement, most recent first. */
  recent: { item_id: string; kind: EventKind; watch_ms?: number; duration_ms?: number; ts: number }[];
}

export interface RetrievalModel {
  version: string;
  dim: number;
  /** L2-normalised user vector. */
  userVector(user: UserContext): Float32Array;
  /** L2-normalised vector of a catalog item, or undefined for an item the model has no row for. */
  itemVector(itemId: string): Float32Array | undefined;
}

/**
 * Raw signals about one candidate for one request, gathered by the ranker's hydration stage.
 * The ranker model turns them into features (models/features.ts), the same code in training
 * and serving, so the two cannot drift. Missing values are 0 / false, never exceptions.
 */
export interface CandidateSignals {
  item_id: string;
  creator_id: string;
  category: string;
  duration_ms: number;
  age_hours: number;
  has_product: boolean;
  price: number;
  is_kol: boolean;
  creator_followers: number;
  /** Cosine between user and item vectors (0 when the model has no vector). */
  retrieval_score: number;
  /** Long-term item stats (ClickHouse) blended with the short window (online state). */
  impressions: number;
  completion_rate: number;
  avg_watch_ratio: number;
  like_rate: number;
  share_rate: number;
  purchase_rate: number;
  /** Social proof. */
  friends_engaged: number;
  friends_purchased: number;
  followed_creator: boolean;
  locale_match: boolean;
  /** The user–item relation (models/user-relation.ts): engagement shares with this category and creator, session and long window. */
  affinity_category_session: number;
  affinity_category_long: number;
  affinity_creator_session: number;
  affinity_creator_long: number;
  /** Target attention of the candidate over the recent engaged items: pooled and best cosine. */
  attention_score: number;
  attention_max: number;
}

export interface MultitaskModel {
  version: string;
  /** One prediction array per objective, each aligned with `candidates`. */
  predict(user: UserContext, candidates: readonly CandidateSignals[]): Record<Objective, Float32Array>;
}
