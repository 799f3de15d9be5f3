import type { Rng } from './world/rng.ts';

/**
 * How a simulated person reacts to what the feed shows. Every number the model uses is here,
 * with what it does; simulator/README.md has the same table. Probabilities are logistic in an
 * "interest" score:
 *
 *   interest = match * cos(user, video) + quality * (q - 0.5) + localeMismatch * [locale differs]
 *            - novelty * ln(1 + earlier views) - fatigue * sessionFatigue
 */
export const BEHAVIOUR_PARAMS = {
  /** Weight of the cosine between the user's taste and the video's vector. */
  match: 4,
  /** Weight of the video's latent quality (0..1, centred on 0.5). */
  quality: 2,
  /** Added when the video's language differs from the user's. */
  localeMismatch: -1,
  /** Subtracted per ln(1 + earlier views of the same video): repeats are worth less. */
  novelty: 1.5,
  /** Subtracted per unit of session fatigue. */
  fatigue: 1,
  /** P(swipe away within 2.5 s) = sigmoid(skipBias - skipSlope * interest). */
  skipBias: -0.3,
  skipSlope: 1.5,
  /** A skip watches Uniform(skipMinMs, skipMaxMs), capped by the duration. */
  skipMinMs: 300,
  skipMaxMs: 2500,
  /** Mean watched fraction = sigmoid(watchBias + watchSlope * interest - durationPenalty * ln(duration / 15 s)). */
  watchBias: 0.3,
  watchSlope: 1,
  durationPenalty: 0.5,
  /** Fraction drawn as sigmoid(logit(mean) + watchSpread * N(0,1)). */
  watchSpread: 0.8,
  /** Watching at least this fraction counts as a completion (watch_ms = duration). */
  completeAt: 0.9,
  /** P(action | watched) = sigmoid(bias + slope * interest). */
  like: { bias: -4.5, slope: 1 },
  share: { bias: -7, slope: 1 },
  comment: { bias: -7.5, slope: 1 },
  follow: { bias: -7, slope: 1 },
  /** Extra follow logit when the creator is a KOL. */
  followKol: 0.5,
  /** P(not interested | skipped) = sigmoid(bias - slope * interest). */
  notInterested: { bias: -3.5, slope: 1.5 },
  /**
   * Purchase intent for a product seen on a card, a product slot or in a live stream:
   *   intent = intentInterest * interest + appeal + ln(buyPropensity) - priceSensitivity * ln(price / 100)
   *          + friendsEngaged * ln(1 + friends who engaged) + friendsPurchased * ln(1 + friends who bought)
   *          + followedCreator * [user follows the creator] + followedKol * [... and the creator is a KOL]
   */
  intentInterest: 0.5,
  priceSensitivity: 0.5,
  friendsEngaged: 0.8,
  friendsPurchased: 1.2,
  followedCreator: 0.3,
  followedKol: 1,
  /** Funnel: P(click) = sigmoid(click + intent), P(cart | click) = sigmoid(cart + intent), P(buy | cart) = sigmoid(buy + intent). */
  click: -3.5,
  cart: -1,
  buy: -0.5,
  /** Quantity bought = 1 + Poisson(extraQuantity). */
  extraQuantity: 0.2,
  /** The product card appears after this much watching. */
  cardAfterMs: 2000,
  /** Time spent on a product slot that is not clicked, and on a product page when clicked. */
  productSlotMs: 2000,
  productPageMs: 8000,
  /** P(enter a live stream) = sigmoid(liveEnter + interest); stay ~ logNormal(ln(liveStayMs) + 0.3 * interest, 0.8), at most liveMaxMs. */
  liveEnter: -1.5,
  liveStayMs: 45_000,
  liveMaxMs: 1_800_000,
  /** Fatigue added per entry = (fatigueBase + boredom * (1 - fraction watched)) / user patience. */
  fatigueBase: 0.03,
  boredom: 0.08,
  /** After each entry, P(session ends) = sigmoid(endBias + endSlope * fatigue). */
  endBias: -5,
  endSlope: 5,
};

type BehaviourParams = typeof BEHAVIOUR_PARAMS;

export interface UserTruth {
  vec: Float32Array;
  patience: number;
  buyPropensity: number;
}

export interface VideoTruth {
  /** Unit vector; null for a video the simulator does not know (neutral match). */
  vec: Float32Array | null;
  quality: number;
  durationMs: number;
  localeMatch: boolean;
  creatorIsKol: boolean;
}

export interface ProductTruth {
  appeal: number;
  price: number;
}

export interface SocialProof {
  /** Friends who liked, shared or bought this item. */
  friendsEngaged: number;
  friendsPurchased: number;
  followedCreator: boolean;
  creatorIsKol: boolean;
}

export const NO_SOCIAL: SocialProof = { friendsEngaged: 0, friendsPurchased: 0, followedCreator: false, creatorIsKol: false };

export interface SessionState {
  fatigue: number;
  /** Time spent in the session so far. */
  elapsedMs: number;
  entries: number;
  ended: boolean;
}

export const newSession = (): SessionState => ({ fatigue: 0, elapsedMs: 0, entries: 0, ended: false });

export interface Funnel {
  click: boolean;
  cart: boolean;
  purchase: boolean;
  quantity: number;
}

export interface VideoReaction {
  watchMs: number;
  skipped: boolean;
  completed: boolean;
  liked: boolean;
  shared: boolean;
  commented: boolean;
  followed: boolean;
  notInterested: boolean;
  /** Present when the video carries a product card and the card was shown. */
  product: Funnel | null;
}

export interface LiveReaction {
  entered: boolean;
  stayMs: number;
  product: Funnel | null;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

function cosine(a: Float32Array | null, b: Float32Array | null): number {
  if (!a || !b) return 0;
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * (b[k] ?? 0);
  return s;
}

/** The interest score a video has for a user at this point of the session. */
function interest(user: UserTruth, video: VideoTruth, views: number, fatigue: number, p = BEHAVIOUR_PARAMS): number {
  return interestFrom(cosine(user.vec, video.vec), video.quality, video.localeMatch, views, fatigue, p);
}

/** `interest` from its parts, for callers that compute the cosine over packed arrays. */
export function interestFrom(cos: number, quality: number, localeMatch: boolean, views: number, fatigue: number, p = BEHAVIOUR_PARAMS): number {
  return p.match * cos + p.quality * (quality - 0.5) + (localeMatch ? 0 : p.localeMismatch) - p.novelty * Math.log1p(views) - p.fatigue * fatigue;
}

function meanWatchFraction(z: number, durationMs: number, p: BehaviourParams): number {
  return sigmoid(p.watchBias + p.watchSlope * z - p.durationPenalty * Math.log(durationMs / 15_000));
}

/** Expected watch time (mean fraction, ignoring the spread); the oracle ranks by it. */
export function expectedWatchMs(user: UserTruth, video: VideoTruth, views = 0, fatigue = 0, p = BEHAVIOUR_PARAMS): number {
  return expectedWatchAt(interest(user, video, views, fatigue, p), video.durationMs, p);
}

/** Expected watch time of a video of `durationMs` at interest `z`. */
export function expectedWatchAt(z: number, durationMs: number, p = BEHAVIOUR_PARAMS): number {
  const pSkip = sigmoid(p.skipBias - p.skipSlope * z);
  const skipMs = Math.min(durationMs, (p.skipMinMs + p.skipMaxMs) / 2);
  return pSkip * skipMs + (1 - pSkip) * meanWatchFraction(z, durationMs, p) * durationMs;
}

function purchaseIntent(z: number, user: UserTruth, product: ProductTruth, social: SocialProof, p = BEHAVIOUR_PARAMS): number {
  return (
    p.intentInterest * z +
    product.appeal +
    Math.log(user.buyPropensity) -
    p.priceSensitivity * Math.log(Math.max(1, product.price) / 100) +
    p.friendsEngaged * Math.log1p(social.friendsEngaged) +
    p.friendsPurchased * Math.log1p(social.friendsPurchased) +
    (social.followedCreator ? p.followedCreator + (social.creatorIsKol ? p.followedKol : 0) : 0)
  );
}

/** Click, add-to-cart and purchase for a product the user has seen. */
function drawFunnel(rng: Rng, intent: number, p = BEHAVIOUR_PARAMS): Funnel {
  const click = rng.chance(sigmoid(p.click + intent));
  const cart = click && rng.chance(sigmoid(p.cart + intent));
  const purchase = cart && rng.chance(sigmoid(p.buy + intent));
  return { click, cart, purchase, quantity: purchase ? 1 + rng.poisson(p.extraQuantity) : 0 };
}

/** One view of a video. Does not change the session; call `advance` after. */
export function drawVideo(rng: Rng, user: UserTruth, video: VideoTruth, product: ProductTruth | null, social: SocialProof, views: number, session: SessionState, p = BEHAVIOUR_PARAMS): VideoReaction {
  const z = interest(user, video, views, session.fatigue, p);
  const skipped = rng.chance(sigmoid(p.skipBias - p.skipSlope * z));
  let watchMs: number;
  let completed = false;
  if (skipped) {
    watchMs = Math.round(Math.min(video.durationMs, rng.uniform(p.skipMinMs, p.skipMaxMs)));
  } else {
    const fraction = sigmoid(logit(meanWatchFraction(z, video.durationMs, p)) + p.watchSpread * rng.normal());
    completed = fraction >= p.completeAt;
    watchMs = completed ? video.durationMs : Math.round(fraction * video.durationMs);
  }
  const act = (a: { bias: number; slope: number }, extra = 0) => !skipped && rng.chance(sigmoid(a.bias + a.slope * z + extra));
  const liked = act(p.like);
  const shared = act(p.share);
  const commented = act(p.comment);
  const followed = !social.followedCreator && act(p.follow, video.creatorIsKol ? p.followKol : 0);
  const notInterested = skipped && rng.chance(sigmoid(p.notInterested.bias - p.notInterested.slope * z));
  const cardShown = product !== null && !skipped && watchMs >= Math.min(p.cardAfterMs, video.durationMs);
  return {
    watchMs,
    skipped,
    completed,
    liked,
    shared,
    commented,
    followed,
    notInterested,
    product: cardShown ? drawFunnel(rng, purchaseIntent(z, user, product, social, p), p) : null,
  };
}

/** A live-stream slot: enter or not, how long to stay, and the live sale funnel. */
export function drawLive(rng: Rng, user: UserTruth, topicVec: Float32Array | null, product: ProductTruth | null, social: SocialProof, session: SessionState, p = BEHAVIOUR_PARAMS): LiveReaction {
  const z = p.match * cosine(user.vec, topicVec) - p.fatigue * session.fatigue;
  if (!rng.chance(sigmoid(p.liveEnter + z))) return { entered: false, stayMs: 0, product: null };
  const stayMs = Math.round(Math.min(p.liveMaxMs, rng.logNormal(Math.log(p.liveStayMs) + 0.3 * z, 0.8)));
  return { entered: true, stayMs, product: product ? drawFunnel(rng, purchaseIntent(z, user, product, social, p), p) : null };
}

/** A product slot in the feed. */
export function drawProductSlot(rng: Rng, user: UserTruth, topicVec: Float32Array | null, product: ProductTruth, social: SocialProof, session: SessionState, p = BEHAVIOUR_PARAMS): Funnel {
  const z = p.match * cosine(user.vec, topicVec) - p.fatigue * session.fatigue;
  return drawFunnel(rng, purchaseIntent(z, user, product, social, p), p);
}

/**
 * Moves the session on after one entry: time passes, fatigue grows (less when the entry held
 * attention), and the session may end.
 */
export function advance(rng: Rng, session: SessionState, user: UserTruth, spentMs: number, engagement: number, p = BEHAVIOUR_PARAMS): void {
  session.entries++;
  session.elapsedMs += spentMs;
  session.fatigue += (p.fatigueBase + p.boredom * (1 - Math.min(1, Math.max(0, engagement)))) / user.patience;
  if (rng.chance(sigmoid(p.endBias + p.endSlope * session.fatigue))) session.ended = true;
}
