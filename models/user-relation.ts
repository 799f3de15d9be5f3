import { dotAt } from '../core/dot.ts';
import { tfjs as tf } from './backend.ts';
import { engagementWeight } from './retrieval/weights.ts';
import type { UserContext } from './types.ts';

/**
 * The user–item relation the ranker sees: affinity of the user with the candidate's category
 * and creator over a session window and a long window, and dot-product target attention of the
 * candidate over the user's recent engaged items. One implementation for training
 * (models/training-data.ts, models/train.ts) and serving (ranker/feature-hydrator/signals.ts).
 */

/** Events this recent (before the request or impression) form the session window. */
export const SESSION_MS = 30 * 60_000;
/**
 * In the session window an engagement counts half as much this many engaged videos later, so
 * the latest SESSION_HALF_LIFE engaged videos carry half of the session's weight. 3 is the
 * product's own bar for a switch of interest (issue #18, the drift scenario): three completed
 * and liked videos of a new kind in a row should steer the next page, whatever came before.
 */
const SESSION_HALF_LIFE = 3;
/**
 * Target attention looks at most at this many recent engaged items: it models the short-term
 * interest (DIN keeps the sequence short); the long window is the affinity features' job. Cost
 * grows linearly with it (candidates x history cosines and exps per request).
 */
export const ATTENTION_LIMIT = 20;
/** Softmax temperature over cosines in [-1, 1]: sharp enough that one related item dominates. */
const ATTENTION_TEMPERATURE = 0.1;

export interface ItemSide {
  category: string;
  creator: string;
}

interface Windows {
  session: number;
  long: number;
  /** Undecayed weight of events before the session window: the profile the session is news against. */
  before: number;
}

/** Per-user totals, computed once per request (or per training example) and shared by all candidates. */
export interface UserAffinity {
  category: Map<string, Windows>;
  creator: Map<string, Windows>;
  total: Windows;
}

export interface Affinity {
  category_session: number;
  category_long: number;
  creator_session: number;
  creator_long: number;
}

function bump(map: Map<string, Windows>, key: string, long: number, session: number, before: number): void {
  let v = map.get(key);
  if (!v) map.set(key, (v = { session: 0, long: 0, before: 0 }));
  v.long += long;
  v.session += session;
  v.before += before;
}

/**
 * Engagement weight per category and creator (follows are the separate followed_creator signal):
 * all of `recent` for the long window; for the session window, events within SESSION_MS,
 * decayed by SESSION_HALF_LIFE engaged videos so that a switch of interest shows at once. `recent` is most
 * recent first; `now` is the request time (serving) or the impression time (training).
 */
export function userAffinity(recent: UserContext['recent'], side: (itemId: string) => ItemSide | undefined, now: number): UserAffinity {
  const out: UserAffinity = { category: new Map(), creator: new Map(), total: { session: 0, long: 0, before: 0 } };
  // Order of each engaged video, most recent 0: the session weight decays with it.
  const order = new Map<string, number>();
  for (const e of recent) {
    const w = engagementWeight(e.kind, e.watch_ms, e.duration_ms);
    if (w <= 0) continue;
    let k = order.get(e.item_id);
    if (k === undefined) order.set(e.item_id, (k = order.size));
    const inSession = now - e.ts <= SESSION_MS;
    const ws = inSession ? w * 0.5 ** (k / SESSION_HALF_LIFE) : 0;
    const wb = inSession ? 0 : w;
    out.total.long += w;
    out.total.session += ws;
    out.total.before += wb;
    const s = side(e.item_id);
    if (s) {
      bump(out.category, s.category, w, ws, wb);
      bump(out.creator, s.creator, w, ws, wb);
    }
  }
  return out;
}

/**
 * How much of the session goes to `category` beyond what the profile before the session
 * predicts: (s - p) / (1 - p), s its share of the session (decayed), p its share of the
 * engagement before the session (0 without such history), 0 when the session follows the profile.
 * A new user's session is all news (p = 0); a regular's usual category needs no push, the
 * ranker's long-window features carry it already.
 */
export function sessionLift(u: UserAffinity, category: string): number {
  const w = u.category.get(category);
  if (!w || u.total.session <= 0) return 0;
  const s = w.session / u.total.session;
  const p = u.total.before > 0 ? w.before / u.total.before : 0;
  return p >= 1 ? 0 : Math.max(0, (s - p) / (1 - p));
}

/** Distinct engaged items, most recent first, at most ATTENTION_LIMIT, with their summed engagement weight. */
export function engagedItems(recent: UserContext['recent']): { item_id: string; weight: number }[] {
  const byItem = new Map<string, number>();
  for (const e of recent) {
    const w = engagementWeight(e.kind, e.watch_ms, e.duration_ms);
    if (w <= 0) continue;
    const prev = byItem.get(e.item_id);
    if (prev === undefined && byItem.size >= ATTENTION_LIMIT) continue;
    byItem.set(e.item_id, (prev ?? 0) + w);
  }
  return [...byItem].map(([item_id, weight]) => ({ item_id, weight }));
}

/**
 * Shares of the user's engagement going to the candidate's category and creator (0 without
 * history), written into `out` (serving passes each candidate's signals: no object per candidate).
 */
export function affinityOf(u: UserAffinity, side: ItemSide, out: Affinity = { category_session: 0, category_long: 0, creator_session: 0, creator_long: 0 }): Affinity {
  const cat = u.category.get(side.category);
  const cre = u.creator.get(side.creator);
  const session = u.total.session > 0 ? 1 / u.total.session : 0;
  const long = u.total.long > 0 ? 1 / u.total.long : 0;
  out.category_session = cat ? Math.min(1, cat.session * session) : 0;
  out.category_long = cat ? Math.min(1, cat.long * long) : 0;
  out.creator_session = cre ? Math.min(1, cre.session * session) : 0;
  out.creator_long = cre ? Math.min(1, cre.long * long) : 0;
  return out;
}

/** History vectors (one per engaged item the model has a vector for), their weights, and scratch for the cosines. */
export interface AttentionKeys {
  vectors: Float32Array[];
  /** The same vectors as one dim × history matrix (the right operand of attentionSims' matMul). */
  transposed: Float32Array;
  weights: Float32Array;
  items: string[];
  sims: Float32Array;
}

export function attentionKeys(engaged: readonly { item_id: string; weight: number }[], vectorOf: (itemId: string) => Float32Array | undefined): AttentionKeys {
  const vectors: Float32Array[] = [];
  const weights = new Float32Array(engaged.length);
  const items: string[] = [];
  for (const h of engaged) {
    const v = vectorOf(h.item_id);
    if (!v) continue;
    weights[vectors.length] = h.weight;
    vectors.push(v);
    items.push(h.item_id);
  }
  const n = vectors.length;
  const dim = vectors[0]?.length ?? 0;
  const transposed = new Float32Array(dim * n);
  vectors.forEach((v, j) => {
    for (let d = 0; d < dim; d++) transposed[d * n + j] = v[d]!;
  });
  return { vectors, transposed, weights: weights.subarray(0, n), items, sims: new Float32Array(n) };
}

export interface Attention {
  /** Attention-pooled cosine Σ a_j·cos(c, h_j), a = softmax(cos / T) weighted by engagement. */
  score: number;
  /** Cosine of the closest history item. */
  max: number;
  /** Index into keys.items of the most attended item (-1: no history). */
  top: number;
}

/**
 * DIN-style target attention with dot products only: O(history × dim) per candidate, no MLP
 * per (candidate, history) pair, so 500 candidates × 50 items stay cheap. The candidate's
 * vector is `block[at .. at + dim)`; `keys.sims` keeps the cosines of the last call.
 */
export function targetAttention(keys: AttentionKeys, block: Float32Array | undefined, at = 0): Attention {
  const n = keys.items.length;
  if (!block || n === 0) return { score: 0, max: 0, top: -1 };
  const s = keys.sims;
  for (let j = 0; j < n; j++) s[j] = dotAt(block, at, keys.vectors[j]!);
  return poolAttention(keys, s, 0);
}

/** Softmax pooling of one candidate's cosines `sims[at .. at + history)`. */
export function poolAttention(keys: AttentionKeys, sims: Float32Array, at: number): Attention {
  const n = keys.items.length;
  let max = -Infinity;
  let top = -1;
  for (let j = 0; j < n; j++) {
    if (sims[at + j]! > max) {
      max = sims[at + j]!;
      top = j;
    }
  }
  let num = 0;
  let den = 0;
  for (let j = 0; j < n; j++) {
    const z = (sims[at + j]! - max) / ATTENTION_TEMPERATURE;
    // Below e^-10 of the closest item's weight an item adds nothing measurable; skipping its exp halves the cost.
    if (z < -10) continue;
    const a = keys.weights[j]! * Math.exp(z);
    num += a * sims[at + j]!;
    den += a;
  }
  return { score: den > 0 ? num / den : 0, max, top };
}

/**
 * Cosines of `rows` candidates (row-major, `dim` wide) with every history item, as one matMul
 * in the tfjs backend (SIMD): rows × history, row-major. Serving scores 500 candidates at once;
 * `candidates` may be longer than rows × dim (a reused buffer).
 */
export function attentionSims(keys: AttentionKeys, candidates: Float32Array, rows: number, dim: number): Float32Array {
  const n = keys.items.length;
  if (n === 0 || rows === 0) return new Float32Array(0);
  const t = tf.tidy(() => tf.matMul(tf.tensor2d(candidates.subarray(0, rows * dim), [rows, dim]), tf.tensor2d(keys.transposed, [dim, n])));
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

/** Indices of the k most attended history items for a candidate, most attended first (explain). */
export function topAttended(keys: AttentionKeys, candidate: { block: Float32Array; at: number } | undefined, k: number): { item_id: string; cosine: number }[] {
  const n = keys.items.length;
  if (!candidate || n === 0) return [];
  targetAttention(keys, candidate.block, candidate.at);
  const sims = keys.sims;
  return Array.from({ length: n }, (_, j) => j)
    .sort((a, b) => sims[b]! + Math.log(keys.weights[b]!) * ATTENTION_TEMPERATURE - (sims[a]! + Math.log(keys.weights[a]!) * ATTENTION_TEMPERATURE))
    .slice(0, k)
    .map((j) => ({ item_id: keys.items[j]!, cosine: sims[j]! }));
}
