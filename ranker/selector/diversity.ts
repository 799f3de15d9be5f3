import { sessionLift } from '../../models/user-relation.ts';
import { knowsNothing, userRelation } from '../per-request.ts';
import { byScoreDesc, noteScore, type Candidate, type Selector } from '../types.ts';

/** How far down the score order the greedy pass looks for each slot. */
const LOOKAHEAD = 300;

/** The first `n` positions (0-based) from `from` that no set in `taken` holds. */
function reservedPositions(count: number, n: number, from: number, ...taken: ReadonlySet<number>[]): Set<number> {
  const out = new Set<number>();
  for (let pos = from; pos < count && out.size < n; pos++) if (!taken.some((t) => t.has(pos))) out.add(pos);
  return out;
}

/** `share` of `count` positions (0-based), evenly spread, never the first; a position in `taken` moves to the next free one. */
export function spreadPositions(count: number, share: number, ...taken: ReadonlySet<number>[]): Set<number> {
  const n = Math.round(count * share);
  const out = new Set<number>();
  for (let k = 0; k < n; k++) {
    let pos = Math.min(count - 1, Math.floor(((k + 1) * count) / (n + 1)));
    while (pos < count && (out.has(pos) || taken.some((t) => t.has(pos)))) pos++;
    if (pos < count) out.add(pos);
  }
  return out;
}

function isBestFirst(candidates: readonly Candidate[]): boolean {
  for (let i = 1; i < candidates.length; i++) if (candidates[i]!.score > candidates[i - 1]!.score) return false;
  return true;
}

/**
 * Greedy re-rank: each slot takes the candidate with the best MMR-style adjusted score (the
 * score discounted for categories repeated in the last `categoryWindow` slots), never a
 * creator seen in the last `creatorSpacing` slots (including the previous page's tail), and
 * reserved exploration slots go to the best fresh-pool candidate that has not had its share
 * of recent exploration slots (TrafficPool.exploration; otherwise the slot goes to the best
 * candidate): `explorationPromotedShare` of them first to a video promoted past its first
 * audience (the larger audience it earned), the rest first to one in its first audience (no
 * record the ranker can read, no other way onto a page), each falling back to the other. On top,
 * `promotionShare` of the positions go to the promoted video this person scores
 * highest (shared through TrafficPool.promotion as exploration slots are): the pool, not the
 * learned scores alone, decides that a video earned more traffic. `followingSlots`
 * positions go to the best unseen video a followed creator
 * posted recently (else to the best candidate): follows are explicit intent, and the learned
 * scores alone rarely lift one creator's post above a page of engaging videos. The first
 * `sessionInterestShare` x (session lift of the user's strongest category this session,
 * models/user-relation.ts sessionLift) of the other positions go to that category's best
 * candidates: the feed follows what the person shows interest in now, in proportion to how far
 * the session departs from their profile, even for a small category the model has few examples
 * of. The page comes out shorter rather than break creator spacing.
 */
export const diversitySelector: Selector = {
  name: 'diversity',
  kind: 'selector',
  budgetMs: 5,
  failOpen: false,
  select(ctx, candidates, count) {
    const { creatorSpacing, categoryPenalty, categoryWindow, explorationShare, explorationPromotedShare, promotionShare, followingSlots, followingFreshHours, sessionInterestShare } =
      ctx.config.ranker.rerank;
    const { catalog } = ctx;
    // The pipeline passes them best first already (sorting 500 objects costs ~0.2 ms); others get sorted.
    const pool = isBestFirst(candidates) ? candidates : [...candidates].sort(byScoreDesc);
    const n = pool.length;
    // Per pool position, in typed arrays: the greedy pass below looks at each many times.
    const category = new Int32Array(n);
    // Creator hashes: what the session carries across pages.
    const creator = new Uint32Array(n);
    // 1: from the fresh pool, promoted past its first audience; 2: in its first audience (the pool's first tier).
    const fresh = new Uint8Array(n);
    const firstTier = ctx.config.ranker.trafficPool.tiers[0]!.name;
    const followedNew = new Uint8Array(n);
    const used = new Uint8Array(n);
    let freshLeft = 0;
    const newSince = ctx.request.now / 1000 - followingFreshHours * 3600;
    let interest = -1;
    let interestSession = 0;
    for (let i = 0; i < n; i++) {
      const c = pool[i]!;
      category[i] = catalog.itemCategory[c.row]!;
      const session = c.signals?.affinity_category_session ?? 0;
      if (session > interestSession) {
        interestSession = session;
        interest = category[i]!;
      }
      creator[i] = catalog.creatorHash[catalog.itemCreator[c.row]!]!;
      if (c.sources.includes('fresh')) {
        fresh[i] = c.tier === firstTier ? 2 : 1;
        freshLeft++;
      }
      if (c.sources.includes('following') && catalog.itemPublished[c.row]! >= newSince) followedNew[i] = 1;
    }
    const explore = spreadPositions(count, explorationShare);
    const promote = spreadPositions(count, promotionShare, explore);
    const following = reservedPositions(count, followingSlots, 1, explore, promote);
    const lift = interest < 0 ? 0 : sessionLift(userRelation(ctx).affinity, catalog.categories.value(interest));
    // A promotion position no promoted video can take is the session interest's, when the interest reaches it.
    const interestSlots = reservedPositions(count, Math.round(count * sessionInterestShare * lift), 0, explore, following);
    const recentCreators = ctx.request.session.recentCreators.slice(-creatorSpacing);
    const recentCategories: number[] = [];
    // Nothing known of the person: every video is a probe of their taste, so a category repeats
    // on the page only when no other is left (the whole page is the window, a repeat costs all).
    const probing = knowsNothing(ctx);
    const window = probing ? count : categoryWindow;
    const perRepeat = probing ? 1 : categoryPenalty / categoryWindow;
    const out: Candidate[] = [];
    const { exploration: ledger, promotion } = ctx.pool;
    /**
     * The best candidate (index into `pool`, -1: none) and its adjusted score; exploration slots take only fresh items with
     * slots left (`first-audience`: in the first tier), promotion slots only promoted ones with slots left, following slots
     * only followed creators' new posts.
     */
    const pick = (slot: 'any' | 'first-audience' | 'explore-promoted' | 'explore' | 'promoted' | 'following' | 'interest'): { best: number; adj: number } => {
      let best = -1;
      let bestAdj = -Infinity;
      let scanned = 0;
      const freshNeeded = slot === 'first-audience' ? 2 : slot === 'explore' || slot === 'explore-promoted' ? 1 : 0;
      for (let i = 0; i < n && scanned < LOOKAHEAD; i++) {
        if (
          used[i] ||
          fresh[i]! < freshNeeded ||
          (freshNeeded > 0 && !ledger.allows(pool[i]!.row)) ||
          (slot === 'explore-promoted' && fresh[i] !== 1) ||
          (slot === 'promoted' && (fresh[i] !== 1 || !promotion.allows(pool[i]!.row))) ||
          (slot === 'following' && !followedNew[i]) ||
          (slot === 'interest' && category[i] !== interest)
        )
          continue;
        // Best first and discounts only shrink a non-negative score: nothing further down can win.
        const score = pool[i]!.score;
        if (score >= 0 && score <= bestAdj) break;
        scanned++;
        if (creatorSpacing > 0 && recentCreators.includes(creator[i]!)) continue;
        let repeats = 0;
        for (const prev of recentCategories) if (prev === category[i]) repeats++;
        const adj = score * Math.max(0, 1 - perRepeat * repeats);
        if (adj > bestAdj) {
          bestAdj = adj;
          best = i;
        }
      }
      return { best, adj: bestAdj };
    };
    for (let pos = 0; pos < count; pos++) {
      let explored = explore.has(pos) && freshLeft > 0;
      let promoted = promote.has(pos) && freshLeft > 0;
      // Until promoted videos hold their share of the exploration window, an exploration slot offers them first.
      const promotedTurn = explored && ledger.promotedShare() < explorationPromotedShare;
      const firstChoice = promotedTurn ? 'explore-promoted' : 'first-audience';
      const reserved = explored ? firstChoice : promoted ? 'promoted' : following.has(pos) ? 'following' : interestSlots.has(pos) ? 'interest' : undefined;
      let { best, adj } = reserved ? pick(reserved) : { best: -1, adj: 0 };
      if (best < 0 && explored) ({ best, adj } = pick('explore'));
      // The windows count every reserved slot, also one no fresh item could take, so they move on.
      if (best < 0 && promoted) {
        promotion.record(-1);
        promoted = false;
        if (interestSlots.has(pos)) ({ best, adj } = pick('interest'));
      }
      if (best < 0) {
        if (explored) ledger.record(-1);
        explored = false;
        ({ best, adj } = pick('any'));
      }
      // Only the last page's creators hold the rest back: an empty page would leave the session
      // where it is, and every next page empty too, so the spacing across pages gives way.
      if (best < 0 && out.length === 0 && recentCreators.length > 0) {
        recentCreators.length = 0;
        ({ best, adj } = pick('any'));
      }
      if (best < 0) break;
      used[best] = 1;
      if (fresh[best]) freshLeft--;
      const chosen = pool[best]!;
      noteScore(ctx, chosen, 'rerank', adj);
      // Tier above the first audience: a video promoted by the traffic pool.
      const isPromotedVideo = fresh[best] === 1;
      if (explored) {
        chosen.explored = true;
        noteScore(ctx, chosen, 'exploration', 1);
        ledger.record(chosen.row, isPromotedVideo);
      }
      if (promoted) promotion.record(chosen.row);
      // A reserved slot a video got for its promotion: a promotion slot, or an exploration slot taken as a promoted video.
      if (promoted || (explored && isPromotedVideo)) {
        chosen.promoted = true;
        noteScore(ctx, chosen, 'promotion', 1);
      }
      out.push(chosen);
      recentCreators.push(creator[best]!);
      if (recentCreators.length > creatorSpacing) recentCreators.shift();
      recentCategories.push(category[best]!);
      if (recentCategories.length > window) recentCategories.shift();
    }
    return out;
  },
};
