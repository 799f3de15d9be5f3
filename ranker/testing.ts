/**
 * Small deterministic worlds and stand-in models for the ranker and feed API tests (and the
 * feed benchmark): the catalog is built straight from rows, without ClickHouse.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { EngagementEvent, EventKind } from '../ingest/events.ts';
import { MemoryOnlineState } from '../ingest/memory-online-state.ts';
import { OBJECTIVES, type CandidateSignals, type Objective, type MultitaskModel, type RetrievalModel, type UserContext } from '../models/types.ts';
import type { CreatorRow, ItemRow, LiveStreamRow, ProductRow, SocialEdgeRow, UserRow } from '../storage/catalog.ts';
import { hash32 } from '../core/hash.ts';
import { ServingCatalog } from './catalog/serving-catalog.ts';
import type { PromotedModels } from '../models/serving.ts';
import { AnnIndex } from '../models/ann/faiss-index.ts';
import { Rng } from '../core/rng.ts';

/**
 * Config for test worlds (thousands of users and items, not a deployment's hundreds of
 * thousands): the online state's LRUs and the i2i neighbour cache allocate their whole capacity
 * up front, 200,000 entries by default, and building them in every test's setup cost the unit
 * suite seconds of CPU.
 */
export const TEST_WORLD_CAPS = { online: { maxUsers: 2_000, maxItems: 5_000 }, ranker: { ann: { i2iCacheItems: 2_000 } } };

/** An in-memory online state sized by TEST_WORLD_CAPS. */
export function testOnlineState(): MemoryOnlineState {
  return new MemoryOnlineState({ config: TEST_WORLD_CAPS.online });
}

export interface WorldRows {
  creators: CreatorRow[];
  items: ItemRow[];
  products: ProductRow[];
  users: UserRow[];
  live_streams: LiveStreamRow[];
  social_edges: SocialEdgeRow[];
}

export interface WorldOptions {
  items?: number;
  creators?: number;
  users?: number;
  locales?: string[];
  categories?: string[];
  /** Share of items carrying a product. */
  productShare?: number;
  /** Epoch seconds "now"; items are published over the preceding 30 days. */
  nowSec?: number;
  seed?: number;
}

export function makeWorld(opts: WorldOptions = {}): WorldRows {
  const nItems = opts.items ?? 300;
  const nCreators = opts.creators ?? 30;
  const nUsers = opts.users ?? 40;
  const locales = opts.locales ?? ['en', 'zh'];
  const categories = opts.categories ?? ['dance', 'food', 'tech', 'beauty', 'travel', 'pets'];
  const productShare = opts.productShare ?? 0.3;
  const now = opts.nowSec ?? Math.floor(Date.now() / 1000);
  const rand = new Rng(opts.seed ?? 7).next;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;

  const creators: CreatorRow[] = Array.from({ length: nCreators }, (_, c) => ({
    creator_id: `c${c}`,
    name: `Creator ${c}`,
    locale: locales[c % locales.length]!,
    category: categories[c % categories.length]!,
    is_kol: c % 7 === 0 ? 1 : 0,
    followers: Math.floor(rand() * 100_000),
  }));
  const products: ProductRow[] = [];
  const items: ItemRow[] = Array.from({ length: nItems }, (_, i) => {
    const creator = creators[i % nCreators]!;
    let product_id = '';
    if (rand() < productShare) {
      product_id = `p${products.length}`;
      products.push({
        product_id,
        title: `Product ${products.length}`,
        category: creator.category,
        price: Math.round(5 + rand() * 95),
        currency: 'USD',
        image_url: `https://img.example/${product_id}.jpg`,
        seller_id: `s${products.length % 5}`,
        stock: 100,
        available: 1,
      });
    }
    return {
      item_id: `v${i}`,
      creator_id: creator.creator_id,
      title: `Video ${i}`,
      category: rand() < 0.7 ? creator.category : pick(categories),
      locale: creator.locale,
      duration_ms: 5_000 + Math.floor(rand() * 55_000),
      // Spread over 30 days but never inside the fresh window, unless a test adds fresh items.
      published_at: now - 4 * 86_400 - Math.floor(rand() * 26 * 86_400),
      product_id,
      available: 1,
    };
  });
  const users: UserRow[] = Array.from({ length: nUsers }, (_, u) => ({
    user_id: `u${u}`,
    locale: locales[u % locales.length]!,
    segment: ['casual', 'shopper', 'creator-fan'][u % 3]!,
    created_at: now - 90 * 86_400,
  }));
  const social_edges: SocialEdgeRow[] = [];
  for (let u = 0; u < nUsers; u++) {
    social_edges.push({ kind: 'follow', src: `u${u}`, dst: `c${u % nCreators}`, active: 1 });
    const friend = (u + 1) % nUsers;
    social_edges.push({ kind: 'friend', src: `u${u}`, dst: `u${friend}`, active: 1 }, { kind: 'friend', src: `u${friend}`, dst: `u${u}`, active: 1 });
  }
  const live_streams: LiveStreamRow[] = creators.slice(0, 2).map((c, k) => ({
    live_id: `live${k}`,
    creator_id: c.creator_id,
    product_id: products[k]?.product_id ?? '',
    title: `Live sale ${k}`,
    starts_at: now - 3600,
    ends_at: now + 3600,
  }));
  return { creators, items, products, users, live_streams, social_edges };
}

/** A serving catalog from rows, indexed as the loader would. */
export function catalogFromRows(rows: WorldRows, config: Config, nowSec = Math.floor(Date.now() / 1000)): ServingCatalog {
  const catalog = new ServingCatalog();
  catalog.upsertCreators(rows.creators);
  catalog.upsertProducts(rows.products);
  catalog.upsertItems(rows.items);
  catalog.upsertUsers(rows.users);
  catalog.setLives(rows.live_streams);
  catalog.applySocialEdges(rows.social_edges);
  catalog.reindex({ freshMaxAgeHours: config.ranker.trafficPool.maxAgeHours, popularListSize: config.ranker.catalog.popularListSize }, nowSec);
  return catalog;
}

/** An engagement event with a fresh id and the current time. */
export function event(kind: EventKind, userId: string, fields: Partial<EngagementEvent> = {}): EngagementEvent {
  return { schema_version: 1, event_id: randomUUID(), kind, user_id: userId, ts: Date.now(), ...fields } as EngagementEvent;
}

function unitVector(seed: number, dim: number): Float32Array {
  const rand = new Rng(seed).next;
  const v = new Float32Array(dim);
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += (v[d] = rand() - 0.5) ** 2;
  for (let d = 0; d < dim; d++) v[d]! /= Math.sqrt(norm);
  return v;
}

/**
 * Stand-in promoted models: item vectors from a hash of the id, the user vector from a hash
 * of the user id, and a ranker whose predictions follow the signals. `version` tags them.
 * They bring an exact (Flat) index, built here: a swap that builds one starts a child process
 * per version. `buildIndex` leaves that to the swap, as for a version stored without one.
 */
export function fakeModels(version: string, itemIds: string[], dim = 8, opts: { failPredict?: boolean; buildIndex?: boolean } = {}): PromotedModels {
  const vectors = new Float32Array(itemIds.length * dim);
  const byId = new Map<string, Float32Array>();
  itemIds.forEach((id, i) => {
    const v = unitVector(hash32(`${version}:${id}`), dim);
    vectors.set(v, i * dim);
    byId.set(id, v);
  });
  const retrieval: RetrievalModel = {
    version,
    dim,
    userVector: (user: UserContext) => unitVector(hash32(`${version}:user:${user.userId}`), dim),
    itemVector: (id: string) => byId.get(id),
  };
  const multitask: MultitaskModel = {
    version,
    predict(_user: UserContext, candidates: readonly CandidateSignals[]) {
      if (opts.failPredict) throw new Error('model exploded');
      const out = Object.fromEntries(OBJECTIVES.map((o) => [o, new Float32Array(candidates.length)])) as Record<Objective, Float32Array>;
      candidates.forEach((c, i) => {
        const base = 0.3 + 0.3 * Math.max(0, c.retrieval_score) + (c.followed_creator ? 0.2 : 0);
        out.complete[i] = Math.min(1, base);
        out.watch[i] = Math.min(1, base + 0.1);
        out.like[i] = 0.05;
        out.share[i] = 0.01;
        out.purchase[i] = c.has_product ? 0.02 : 0;
      });
      return out;
    },
  };
  const models = { version, retrieval, itemIds, itemVectors: vectors, multitask };
  return opts.buildIndex ? models : { ...models, ann: AnnIndex.build(dim, itemIds, vectors, 'Flat') };
}
