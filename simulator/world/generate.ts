import { allocate, capShares } from './concentration.ts';
import { buildCsr, EdgeList, type Csr } from './graph.ts';
import { cumulative, Rng } from './rng.ts';
import { CATEGORIES, creatorCount, MEDIAN_PRICE, productCount, SEGMENTS, WORLD_PARAMS as P, type Segment, type WorldSpec } from './spec.ts';

/**
 * The generated world, held column-wise in typed arrays (about 90 bytes per video, so
 * 1,000,000 videos fit in about 100 MB). Vectors, quality, skill, appeal, patience and buying
 * propensity are the simulator's ground truth: they never leave the process.
 */
export interface World {
  spec: WorldSpec;
  dim: number;
  /** Category centroids in the latent space, CATEGORIES.length x dim. */
  centroids: Float32Array;
  users: {
    count: number;
    /** Index into LOCALES / SEGMENTS / CATEGORIES. */
    locale: Uint8Array;
    segment: Uint8Array;
    mainCategory: Uint8Array;
    createdAt: Uint32Array;
    /** Interest weights over categories (sum 1), count x CATEGORIES.length. */
    interest: Float32Array;
    /** Unit taste vector, count x dim. */
    vec: Float32Array;
    patience: Float32Array;
    buyPropensity: Float32Array;
  };
  creators: {
    count: number;
    category: Uint8Array;
    locale: Uint8Array;
    isKol: Uint8Array;
    followers: Uint32Array;
    skill: Float32Array;
  };
  items: {
    count: number;
    creator: Int32Array;
    category: Uint8Array;
    durationMs: Uint32Array;
    publishedAt: Uint32Array;
    quality: Float32Array;
    /** Unit content vector, count x dim. */
    vec: Float32Array;
    /** Product on the card, -1 for none. */
    product: Int32Array;
  };
  products: {
    count: number;
    category: Uint8Array;
    /** In cents, so prices stay exact. */
    priceCents: Uint32Array;
    seller: Int32Array;
    stock: Uint32Array;
    available: Uint8Array;
    appeal: Float32Array;
  };
  lives: {
    count: number;
    creator: Int32Array;
    product: Int32Array;
    startsAt: Uint32Array;
    endsAt: Uint32Array;
  };
  /** Symmetric user-user friendships. */
  friends: Csr;
  /** User -> creator follows. */
  follows: Csr;
}

export type ProgressFn = (phase: string, done: number, total: number) => void;

const C = CATEGORIES.length;
const CHUNK = 65_536;

function normalize(v: Float32Array, off: number, dim: number): void {
  let s = 0;
  for (let k = 0; k < dim; k++) s += v[off + k]! ** 2;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let k = 0; k < dim; k++) v[off + k]! *= inv;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function validate(spec: WorldSpec): void {
  const bad = (what: string) => {
    throw new RangeError(`invalid world spec: ${what}`);
  };
  if (!Number.isInteger(spec.items) || spec.items < 10) bad(`items must be an integer >= 10 (got ${spec.items})`);
  if (!Number.isInteger(spec.users) || spec.users < 2) bad(`users must be an integer >= 2 (got ${spec.users})`);
  if (spec.items > 20_000_000 || spec.users > 5_000_000) bad('at most 20,000,000 items and 5,000,000 users');
  if (!Number.isInteger(spec.nowSec) || spec.nowSec < 1e9) bad('nowSec must be epoch seconds');
  if (!Number.isInteger(spec.seed)) bad('seed must be an integer');
}

/** Generates the world for a spec; deterministic in (seed, counts, nowSec). */
export function generateWorld(spec: WorldSpec, progress: ProgressFn = () => {}): World {
  validate(spec);
  const dim = P.dim;
  const catZipf = cumulative(CATEGORIES.map((_, i) => 1 / (i + 1) ** P.categoryZipf));

  const rc = new Rng(spec.seed, 'centroids');
  const centroids = new Float32Array(C * dim);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < dim; k++) centroids[c * dim + k] = rc.normal();
    normalize(centroids, c * dim, dim);
  }

  const users = generateUsers(spec, dim, catZipf, centroids, progress);
  const creators = generateCreators(spec, catZipf);
  const products = generateProducts(spec, creators.count, catZipf);
  const items = generateItems(spec, dim, catZipf, centroids, creators, products, progress);
  const lives = generateLives(spec, creators, products);
  const friends = generateFriends(spec, users);
  const follows = generateFollows(spec, users, creators);
  progress('graphs', 1, 1);
  return { spec, dim, centroids, users, creators, items, products, lives, friends, follows };
}

function generateUsers(spec: WorldSpec, dim: number, catZipf: Float64Array, centroids: Float32Array, progress: ProgressFn): World['users'] {
  const n = spec.users;
  const r = new Rng(spec.seed, 'users');
  const u: World['users'] = {
    count: n,
    locale: new Uint8Array(n),
    segment: new Uint8Array(n),
    mainCategory: new Uint8Array(n),
    createdAt: new Uint32Array(n),
    interest: new Float32Array(n * C),
    vec: new Float32Array(n * dim),
    patience: new Float32Array(n),
    buyPropensity: new Float32Array(n),
  };
  const segCum = cumulative(P.segmentShares);
  for (let i = 0; i < n; i++) {
    u.locale[i] = r.chance(P.zhShareUsers) ? 0 : 1;
    const seg = r.weighted(segCum);
    const segName = SEGMENTS[seg]!;
    u.segment[i] = seg;
    const ageDays = segName === 'new' ? r.uniform(0, 7) : r.uniform(30, 1000);
    u.createdAt[i] = spec.nowSec - Math.floor(ageDays * 86_400);
    // Favourite categories with Dirichlet(1) weights; the largest is the main category.
    const k = Math.min(5, 1 + r.poisson(P.extraInterestsMean));
    let total = 0;
    for (let j = 0; j < k; j++) {
      const w = r.gamma(1);
      u.interest[i * C + r.weighted(catZipf)]! += w;
      total += w;
    }
    let main = 0;
    for (let c = 0; c < C; c++) {
      u.interest[i * C + c]! /= total;
      if (u.interest[i * C + c]! > u.interest[i * C + main]!) main = c;
    }
    u.mainCategory[i] = main;
    for (let d = 0; d < dim; d++) {
      let s = P.userNoise * r.normal();
      for (let c = 0; c < C; c++) {
        const w = u.interest[i * C + c]!;
        if (w > 0) s += w * centroids[c * dim + d]!;
      }
      u.vec[i * dim + d] = s;
    }
    normalize(u.vec, i * dim, dim);
    u.patience[i] = P.patience[segName] * r.logNormal(0, P.patienceSd);
    u.buyPropensity[i] = P.buyPropensity[segName] * r.logNormal(0, P.buyPropensitySd);
    if (i % CHUNK === CHUNK - 1) progress('users', i + 1, n);
  }
  progress('users', n, n);
  return u;
}

function generateCreators(spec: WorldSpec, catZipf: Float64Array): World['creators'] {
  const n = creatorCount(spec);
  const r = new Rng(spec.seed, 'creators');
  const c: World['creators'] = {
    count: n,
    category: new Uint8Array(n),
    locale: new Uint8Array(n),
    isKol: new Uint8Array(n),
    followers: new Uint32Array(n),
    skill: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    c.category[i] = r.weighted(catZipf);
    c.locale[i] = r.chance(P.zhShareCreators) ? 0 : 1;
    const kol = r.chance(P.kolShare);
    c.isKol[i] = kol ? 1 : 0;
    const f = kol ? P.kolFollowers : P.creatorFollowers;
    c.followers[i] = Math.min(f.max, Math.round(r.pareto(f.xm, f.alpha)));
    c.skill[i] = P.creatorSkillSd * r.normal() + (kol ? 0.05 : 0);
  }
  return c;
}

function generateProducts(spec: WorldSpec, creators: number, catZipf: Float64Array): World['products'] {
  const n = productCount(spec);
  const r = new Rng(spec.seed, 'products');
  const p: World['products'] = {
    count: n,
    category: new Uint8Array(n),
    priceCents: new Uint32Array(n),
    seller: new Int32Array(n),
    stock: new Uint32Array(n),
    available: new Uint8Array(n),
    appeal: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const cat = r.weighted(catZipf);
    p.category[i] = cat;
    const price = r.logNormal(Math.log(MEDIAN_PRICE[CATEGORIES[cat]!]), P.priceSigma);
    // Shop-style prices ending in .90 or .00.
    p.priceCents[i] = Math.max(1, Math.round(price)) * 100 - (r.chance(0.5) ? 10 : 0);
    p.seller[i] = r.int(creators);
    p.stock[i] = r.chance(0.03) ? 0 : 10 + r.int(5000);
    p.available[i] = p.stock[i]! > 0 ? 1 : 0;
    p.appeal[i] = P.productAppealSd * r.normal();
  }
  return p;
}

/** Products grouped by category: CSR from category to product indexes. */
function productsByCategory(products: World['products']): Csr {
  const edges = new EdgeList();
  for (let i = 0; i < products.count; i++) edges.push(products.category[i]!, i);
  return buildCsr(C, edges, false, true);
}

function pickFrom(r: Rng, csr: Csr, group: number): number {
  const lo = csr.offsets[group]!;
  const hi = csr.offsets[group + 1]!;
  return hi > lo ? csr.targets[lo + r.int(hi - lo)]! : -1;
}

function generateItems(spec: WorldSpec, dim: number, catZipf: Float64Array, centroids: Float32Array, creators: World['creators'], products: World['products'], progress: ProgressFn): World['items'] {
  const n = spec.items;
  const r = new Rng(spec.seed, 'items');
  const rp = new Rng(spec.seed, 'productivity');
  const productivity = new Float64Array(creators.count);
  for (let i = 0; i < creators.count; i++) {
    productivity[i] = rp.pareto(1, P.productivityAlpha) * (creators.isKol[i] ? P.kolProductivity : 1);
  }
  const zipfTotal = catZipf[C - 1]!;
  capShares(productivity, creators.category, {
    // With few creators an even split already exceeds the limit: then at most twice the even share.
    maxOne: Math.max(P.maxCreatorShare, 2 / creators.count) * P.capMargin,
    maxGroup: P.maxCategoryShare * P.capMargin,
    onGroup: P.onCategory,
    background: Array.from({ length: C }, (_, c) => (catZipf[c]! - (c > 0 ? catZipf[c - 1]! : 0)) / zipfTotal),
  });
  const creatorOf = allocate(productivity, n, rp);
  const byCat = productsByCategory(products);
  const it: World['items'] = {
    count: n,
    creator: new Int32Array(n),
    category: new Uint8Array(n),
    durationMs: new Uint32Array(n),
    publishedAt: new Uint32Array(n),
    quality: new Float32Array(n),
    vec: new Float32Array(n * dim),
    product: new Int32Array(n),
  };
  const logMedian = Math.log(P.durationMedianMs);
  for (let i = 0; i < n; i++) {
    const cr = creatorOf[i]!;
    it.creator[i] = cr;
    const cat = r.chance(P.onCategory) ? creators.category[cr]! : r.weighted(catZipf);
    it.category[i] = cat;
    const ms = clamp(r.logNormal(logMedian, P.durationSigma), P.durationMinMs, P.durationMaxMs);
    it.durationMs[i] = Math.round(ms / 100) * 100;
    const age = Math.min(P.maxAgeDays, r.exponential(P.meanAgeDays)) * 86_400;
    it.publishedAt[i] = spec.nowSec - Math.floor(age);
    it.quality[i] = clamp(0.5 + creators.skill[cr]! + P.qualitySd * r.normal(), 0.02, 0.98);
    const off = i * dim;
    for (let d = 0; d < dim; d++) it.vec[off + d] = centroids[cat * dim + d]! + P.itemNoise * r.normal();
    normalize(it.vec, off, dim);
    const cardShare = creators.isKol[cr] ? P.kolProductCardShare : P.productCardShare;
    it.product[i] = r.chance(cardShare) ? pickFrom(r, byCat, cat) : -1;
    if (i % CHUNK === CHUNK - 1) progress('items', i + 1, n);
  }
  progress('items', n, n);
  return it;
}

function generateLives(spec: WorldSpec, creators: World['creators'], products: World['products']): World['lives'] {
  const r = new Rng(spec.seed, 'lives');
  const byCat = productsByCategory(products);
  const creator: number[] = [];
  const product: number[] = [];
  const startsAt: number[] = [];
  const endsAt: number[] = [];
  for (let i = 0; i < creators.count; i++) {
    if (!r.chance(creators.isKol[i] ? P.kolLiveShare : P.creatorLiveShare)) continue;
    const start = spec.nowSec + Math.round(r.uniform(-P.liveWindowHours, P.liveWindowHours) * 3600);
    creator.push(i);
    product.push(pickFrom(r, byCat, creators.category[i]!));
    startsAt.push(start);
    endsAt.push(start + Math.round(r.uniform(1, 4) * 3600));
  }
  return {
    count: creator.length,
    creator: Int32Array.from(creator),
    product: Int32Array.from(product),
    startsAt: Uint32Array.from(startsAt),
    endsAt: Uint32Array.from(endsAt),
  };
}

/** Friendships: each user starts Poisson(mean) of them, mostly with users of the same main category. */
function generateFriends(spec: WorldSpec, users: World['users']): Csr {
  const r = new Rng(spec.seed, 'friends');
  const byCategory = new EdgeList();
  for (let i = 0; i < users.count; i++) byCategory.push(users.mainCategory[i]!, i);
  const groups = buildCsr(C, byCategory, false, true);
  const edges = new EdgeList();
  for (let i = 0; i < users.count; i++) {
    const k = r.poisson(P.friendsMean[SEGMENTS[users.segment[i]!]! as Segment]);
    for (let j = 0; j < k; j++) {
      const other = r.chance(P.homophily) ? pickFrom(r, groups, users.mainCategory[i]!) : r.int(users.count);
      if (other >= 0 && other !== i) edges.push(i, other);
    }
  }
  return buildCsr(users.count, edges, true);
}

/** Follows toward creators: fame-weighted, mostly within the user's interests; kol_followers favour KOLs. */
function generateFollows(spec: WorldSpec, users: World['users'], creators: World['creators']): Csr {
  const r = new Rng(spec.seed, 'follows');
  const fame = (i: number) => (creators.followers[i]! + 1) ** P.fameExponent;
  const globalCum = cumulative(Array.from({ length: creators.count }, (_, i) => fame(i)));
  const kols: number[] = [];
  const perCat: number[][] = CATEGORIES.map(() => []);
  for (let i = 0; i < creators.count; i++) {
    if (creators.isKol[i]) kols.push(i);
    perCat[creators.category[i]!]!.push(i);
  }
  const kolCum = cumulative(kols.map(fame));
  const catCum = perCat.map((list) => cumulative(list.map(fame)));
  const interestCum = new Float64Array(C);
  const edges = new EdgeList();
  for (let i = 0; i < users.count; i++) {
    const seg = SEGMENTS[users.segment[i]!]! as Segment;
    let sum = 0;
    for (let c = 0; c < C; c++) interestCum[c] = sum += users.interest[i * C + c]!;
    const k = r.poisson(P.followsMean[seg]);
    for (let j = 0; j < k; j++) {
      let target: number;
      if (seg === 'kol_follower' && kols.length > 0 && r.chance(P.kolFollowerKolShare)) {
        target = kols[r.weighted(kolCum)]!;
      } else if (r.chance(P.followOnInterest)) {
        const c = r.weighted(interestCum);
        const list = perCat[c]!;
        target = list.length > 0 ? list[r.weighted(catCum[c]!)]! : r.weighted(globalCum);
      } else {
        target = r.weighted(globalCum);
      }
      edges.push(i, target);
    }
  }
  return buildCsr(users.count, edges, false, true);
}
