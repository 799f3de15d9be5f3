/** What to generate. The same spec (seed, counts and `nowSec`) gives the same world byte for byte. */
export interface WorldSpec {
  seed: number;
  items: number;
  users: number;
  /** Default: items / 40 (at least 5). */
  creators?: number;
  /** Default: items / 25 (at least 5). */
  products?: number;
  /** The world's "now" in epoch seconds: publish times, live streams and sign-ups lie around it. */
  nowSec: number;
}

export const CATEGORIES = ['beauty', 'fashion', 'food', 'gaming', 'music', 'dance', 'comedy', 'pets', 'travel', 'fitness', 'tech', 'education', 'sports', 'home', 'parenting', 'auto'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Median product price per category (CNY). */
export const MEDIAN_PRICE: Record<Category, number> = {
  beauty: 129,
  fashion: 159,
  food: 39,
  gaming: 199,
  music: 99,
  dance: 79,
  comedy: 49,
  pets: 69,
  travel: 499,
  fitness: 149,
  tech: 899,
  education: 199,
  sports: 229,
  home: 119,
  parenting: 139,
  auto: 349,
};

export const LOCALES = ['zh', 'en'] as const;
export const SEGMENTS = ['new', 'heavy', 'kol_follower', 'buyer'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** Shape parameters of the generated world; documented in simulator/README.md. */
export const WORLD_PARAMS = {
  /** Dimension of the latent taste/content space (ground truth, never written to storage). */
  dim: 16,
  /** Zipf exponent of category popularity (among users and among creators). */
  categoryZipf: 0.8,
  /** Share of zh users / creators (the rest are en). */
  zhShareUsers: 0.75,
  zhShareCreators: 0.7,
  /** Segment shares: new, heavy, kol_follower, buyer. */
  segmentShares: [0.2, 0.3, 0.25, 0.25],
  /** Favourite categories per user: 1 + Poisson(mean), at most 5; weights Dirichlet(1). */
  extraInterestsMean: 1.2,
  /** Per-dimension noise added to a user's taste around their category mix. */
  userNoise: 0.12,
  /** Per-dimension noise added to a video's vector around its category centroid. */
  itemNoise: 0.15,
  /** Share of creators who are KOLs; followers ~ Pareto(xm, alpha). */
  kolShare: 0.03,
  kolFollowers: { xm: 100_000, alpha: 1.5, max: 50_000_000 },
  creatorFollowers: { xm: 50, alpha: 1.2, max: 2_000_000 },
  /** Creator productivity ~ Pareto(1, alpha), times this factor for KOLs. */
  productivityAlpha: 1.5,
  kolProductivity: 3,
  /**
   * Concentration limits over the catalog: no creator posts more than this share of the videos,
   * no category holds more than this share (real platforms are heavy-tailed, not dominated by
   * one account). Productivity is capped toward `capMargin` of each limit so that sampling noise
   * stays under it; below ~1/maxCreatorShare creators the creator limit cannot hold and is relaxed.
   */
  maxCreatorShare: 0.02,
  maxCategoryShare: 0.25,
  capMargin: 0.9,
  /** Probability a video is in its creator's own category. */
  onCategory: 0.85,
  /** Video duration ~ logNormal(ln(median), sigma), clamped. */
  durationMedianMs: 15_000,
  durationSigma: 0.7,
  durationMinMs: 3_000,
  durationMaxMs: 600_000,
  /** Video age ~ Exponential(mean), clamped to `maxAgeDays`. */
  meanAgeDays: 10,
  maxAgeDays: 60,
  /** Video quality ~ N(0.5 + creator skill, sd), clamped to [0.02, 0.98]; creator skill ~ N(0, sd). */
  qualitySd: 0.15,
  creatorSkillSd: 0.1,
  /** Share of videos with a product card (KOL videos use the KOL value). */
  productCardShare: 0.12,
  kolProductCardShare: 0.4,
  /** Product price ~ logNormal(ln(category median), sigma). */
  priceSigma: 0.6,
  /** Product appeal (ground truth) ~ N(0, sd), added to purchase intent. */
  productAppealSd: 0.5,
  /** Share of creators running a live sale; starts within +-liveWindowHours of now. */
  kolLiveShare: 0.5,
  creatorLiveShare: 0.02,
  liveWindowHours: 6,
  /** Friend graph: each user starts Poisson(mean) friendships; `homophily` of them inside their main category. */
  friendsMean: { new: 1.5, heavy: 4, kol_follower: 3, buyer: 3 } as Record<Segment, number>,
  homophily: 0.7,
  /** Follow graph: Poisson(mean) follows per user, weighted by followers^fameExponent. */
  followsMean: { new: 3, heavy: 12, kol_follower: 20, buyer: 8 } as Record<Segment, number>,
  fameExponent: 0.6,
  /** Share of follows within the user's favourite categories; of kol_followers' follows, share aimed at KOLs. */
  followOnInterest: 0.6,
  kolFollowerKolShare: 0.8,
  /** Per-user fatigue resistance ~ logNormal(0, sd), times the segment factor. */
  patienceSd: 0.3,
  patience: { new: 0.8, heavy: 1.5, kol_follower: 1, buyer: 1 } as Record<Segment, number>,
  /** Per-user purchase propensity ~ logNormal(0, sd), times the segment factor. */
  buyPropensitySd: 0.5,
  buyPropensity: { new: 0.5, heavy: 1, kol_follower: 1.5, buyer: 4 } as Record<Segment, number>,
};

export function creatorCount(spec: WorldSpec): number {
  return spec.creators ?? Math.max(5, Math.round(spec.items / 40));
}

export function productCount(spec: WorldSpec): number {
  return spec.products ?? Math.max(5, Math.round(spec.items / 25));
}
