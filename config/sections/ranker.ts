import { z } from 'zod';

const share = z.number().min(0).max(1);
const ms = z.number().int().positive();

/**
 * Quota overrides by source name: how many candidates a source may contribute before merging
 * (0 turns it off). Each source declares its default (ranker/candidate-source/); the names are
 * checked against the pipeline's sources at start.
 */
const SourceQuotasSchema = z.record(z.string(), z.number().int().min(0));

/** One traffic-pool tier: an item stays in it until `maxImpressions`, then moves up only if its audience watched well. */
const TrafficTierSchema = z.object({
  name: z.string().min(1),
  maxImpressions: z.number().int().positive(),
  /** Thresholds the previous tier's audience must reach for the item to enter this tier (ignored for the first). */
  minWatchRatio: share.default(0),
  minCompletionRate: share.default(0),
  maxSkipRate: share.default(1),
  /**
   * Horse race: only videos whose previous-tier audience watched them at least as well as this top
   * share of the last judged ones enter this tier (traffic-pool.ts raceScore: watched fraction and
   * completion per impression). 1: the thresholds above alone decide. Relative, so it holds for
   * any content mix.
   */
  topShare: z.number().gt(0).max(1).default(1),
});
export type TrafficTier = z.infer<typeof TrafficTierSchema>;

/** Per-stage time budget overrides in milliseconds, keyed by stage name (checked against the pipeline at start). */
const StageBudgetsSchema = z.record(z.string(), ms);

export const RankerConfigSchema = z.object({
  sources: SourceQuotasSchema.default({}),
  /** Most candidates passed on to hydration and scoring after merging. */
  maxCandidates: z.number().int().positive().default(500),
  stageBudgetsMs: StageBudgetsSchema.default({}),
  trafficPool: z
    .object({
      /** Items younger than this are in the fresh-content pool. */
      maxAgeHours: z.number().positive().default(72),
      /** How often pool membership follows new engagement (ms): only the items that got events are reclassified. */
      refreshMs: z.number().int().min(0).default(1000),
      /** How often every fresh item is reclassified (ms): ageing out, decayed counters, refreshed long-term stats. */
      fullRefreshMs: z.number().int().positive().default(30_000),
      tiers: z
        .array(TrafficTierSchema)
        .min(1)
        .refine((tiers) => tiers.every((t, i) => i === 0 || t.maxImpressions > tiers[i - 1]!.maxImpressions), 'maxImpressions must grow from tier to tier')
        .default([
          { name: 'first-audience', maxImpressions: 50, minWatchRatio: 0, minCompletionRate: 0, maxSkipRate: 1, topShare: 1 },
          { name: 'pool-2', maxImpressions: 500, minWatchRatio: 0.5, minCompletionRate: 0.3, maxSkipRate: 0.6, topShare: 0.3 },
          { name: 'pool-3', maxImpressions: 5000, minWatchRatio: 0.6, minCompletionRate: 0.4, maxSkipRate: 0.5, topShare: 0.2 },
        ]),
    })
    .prefault({}),
  rerank: z
    .object({
      /** No two items by the same creator within this many positions (also across pages). */
      creatorSpacing: z.number().int().min(0).default(3),
      /** MMR weight of the category-repeat penalty (0 = relevance only). */
      categoryPenalty: z.number().min(0).default(0.3),
      /** How many previous positions count for the category penalty. */
      categoryWindow: z.number().int().min(1).default(4),
      /** Share of slots reserved for the fresh-content pool. */
      explorationShare: share.default(0.1),
      /** No item takes more than this share of a replica's last `explorationWindowSlots` exploration slots. */
      explorationMaxItemShare: share.default(0.1),
      explorationWindowSlots: z.number().int().min(1).default(100),
      /**
       * Share of the exploration slots offered first to videos promoted past their first audience
       * (the traffic pool's higher tiers), the rest first to videos in their first audience; each
       * falls back to the other. A promotion is the larger audience a video earned: without this,
       * first audiences (thousands of new videos at any time) took every exploration slot and a
       * promoted video got no more traffic than a stopped one, unless promotion slots took positions
       * of their own.
       */
      explorationPromotedShare: share.default(0.5),
      /**
       * Share of slots reserved for videos promoted past their first audience (the traffic pool's
       * higher tiers): the larger audience a promotion earns, given to the promoted video this person
       * scores highest. Shared as exploration slots are (`explorationMaxItemShare` of the last
       * `explorationWindowSlots` promotion slots per item). Off by default: 0.05 cost about 10% of
       * video watch time per session in the closed loop (README, the feed pipeline), a price for
       * creator growth that an operator may choose to pay.
       */
      promotionShare: share.default(0),
      /** Slots per page for the best unseen video a followed creator posted within `followingFreshHours` (new posts of who you follow reach you). */
      followingSlots: z.number().int().min(0).default(1),
      followingFreshHours: z.number().min(0).default(72),
      /**
       * This share of a page x the session lift of the user's strongest category of the session
       * (models/user-relation.ts sessionLift) follows that category. 1: the page mirrors the
       * session's news in proportion (a session all on a new category may take every slot but
       * exploration and following ones); lower damps it. No figure is tuned: the lift is the signal.
       */
      sessionInterestShare: share.default(1),
    })
    .prefault({}),
  commerce: z
    .object({
      /** At most one shoppable slot per this many entries. */
      slotEvery: z.number().int().min(2).default(5),
      /** At least this many entries between two shoppable slots (so never two in a row). */
      minSpacing: z.number().int().min(1).default(3),
      /** A slot is inserted only when its expected value reaches this share of the organic item it displaces. */
      minValueRatio: z.number().min(0).default(0.3),
      /** Prior purchase probability for a product slot with no history. */
      purchasePrior: share.default(0.02),
      includeLive: z.boolean().default(true),
    })
    .prefault({}),
  feed: z
    .object({
      defaultCount: z.number().int().min(1).default(10),
      maxCount: z.number().int().min(1).max(100).default(50),
      /** Bits of the served-items bloom filter carried in the cursor (false positives only hide an item). */
      bloomBits: z.number().int().min(512).max(65_536).default(8192),
      bloomHashes: z.number().int().min(1).max(12).default(4),
    })
    .prefault({}),
  ann: z
    .object({
      /**
       * FAISS factory string (`Flat`, `IVF4096,Flat`, `HNSW32`, ...), or 'auto': exact `Flat` up to
       * `flatMaxItems`, above it `IVF<about 4·sqrt(n)>,SQfp16` (annFactory, with the benchmarks/ann figures behind it).
       */
      factory: z.string().default('auto'),
      /** Largest index 'auto' searches exactly. */
      flatMaxItems: z.number().int().min(0).default(20_000),
      /**
       * FAISS search parameters set on the index after it is built (`nprobe=32`, `efSearch=256`),
       * or 'auto': picked for the factory (annSearchParams).
       */
      searchParams: z.string().default('auto'),
      /**
       * Search parameters of the item-to-item source's queries (one per seed item, few
       * neighbours each), or 'auto': cheaper than the main search for IVF (nprobe=8) and HNSW
       * (efSearch=64); '' uses `searchParams`.
       */
      i2iSearchParams: z.string().default('auto'),
      /** Seed items whose neighbours are kept per served model version (0 = search every time). */
      i2iCacheItems: z.number().int().min(0).default(200_000),
      /** How long cached neighbours are used before searching again (items added to the index appear then). */
      i2iCacheTtlMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  catalog: z
    .object({
      /** Seconds between incremental catalog refreshes (availability, new items). */
      refreshSeconds: z.number().positive().default(30),
      /** Seconds between long-term item stats refreshes from item_stats_hourly (only items with events since the last one are re-read). */
      statsRefreshSeconds: z.number().positive().default(60),
      /** Items kept per popularity list (locale, segment). */
      popularListSize: z.number().int().positive().default(2000),
    })
    .prefault({}),
});

export type RankerConfig = z.infer<typeof RankerConfigSchema>;
