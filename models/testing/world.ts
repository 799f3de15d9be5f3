import { Rng } from '../../core/rng.ts';
import type { CatalogSnapshot, TrainingEvent } from '../training-data.ts';

export interface WorldOptions {
  users: number;
  items: number;
  categories: number;
  impressionsPerUser: number;
  seed: number;
  /** Epoch ms of the first event. */
  start?: number;
}

/**
 * A small synthetic world with planted tastes: each user likes one category; impressions of
 * that category are watched longer, completed, liked and bought more. For tests and demos.
 */
export function syntheticWorld(o: WorldOptions): { events: TrainingEvent[]; catalog: CatalogSnapshot; taste: (userId: string) => string } {
  const rng = new Rng(o.seed);
  const start = o.start ?? Date.UTC(2026, 0, 1);
  const cat = (i: number) => `c${i % o.categories}`;
  const catalog: CatalogSnapshot = {
    items: Array.from({ length: o.items }, (_, i) => ({
      item_id: `i${i}`,
      creator_id: `k${i % 7}`,
      title: '',
      category: cat(i),
      locale: 'en',
      duration_ms: 15_000,
      published_at: Math.floor(start / 1000) - 3600,
      product_id: i % 3 === 0 ? `p${i}` : '',
      available: 1,
    })),
    products: Array.from({ length: o.items }, (_, i) => i)
      .filter((i) => i % 3 === 0)
      .map((i) => ({
        product_id: `p${i}`,
        title: '',
        category: cat(i),
        price: 10 + i,
        currency: 'CNY',
        image_url: '',
        seller_id: 's',
        stock: 10,
        available: 1,
      })),
    creators: Array.from({ length: 7 }, (_, k) => ({ creator_id: `k${k}`, name: '', locale: 'en', category: '', is_kol: k === 0 ? 1 : 0, followers: 100 * k })),
    users: Array.from({ length: o.users }, (_, u) => ({ user_id: `u${u}`, locale: 'en', segment: u % 2 ? 'young' : 'adult', created_at: 0 })),
    edges: Array.from({ length: o.users }, (_, u) => ({ kind: 'friend' as const, src: `u${u}`, dst: `u${(u + 2) % o.users}`, active: 1 })),
  };
  const taste = (userId: string) => cat(Number(userId.slice(1)));
  const events: TrainingEvent[] = [];
  const base = { product_id: '', creator_id: '', watch_ms: 0, duration_ms: 0, locale: 'en' };
  for (let step = 0; step < o.impressionsPerUser; step++) {
    for (let u = 0; u < o.users; u++) {
      const user_id = `u${u}`;
      const item = catalog.items[rng.int(o.items)]!;
      const ts_ms = start + step * 60_000 + u * 100;
      const likes = item.category === taste(user_id);
      events.push({ ...base, kind: 'impression', user_id, item_id: item.item_id, ts_ms });
      const ratio = likes ? 0.7 + 0.3 * rng.next() : 0.3 * rng.next();
      events.push({ ...base, kind: 'play', user_id, item_id: item.item_id, ts_ms: ts_ms + 1000, watch_ms: Math.round(ratio * 15_000), duration_ms: 15_000 });
      if (ratio > 0.9) events.push({ ...base, kind: 'complete', user_id, item_id: item.item_id, ts_ms: ts_ms + 2000 });
      if (likes && rng.next() < 0.5) events.push({ ...base, kind: 'like', user_id, item_id: item.item_id, ts_ms: ts_ms + 3000 });
      if (likes && item.product_id && rng.next() < 0.3) {
        events.push({ ...base, kind: 'purchase', user_id, item_id: '', product_id: item.product_id, ts_ms: ts_ms + 4000 });
      }
    }
  }
  return { events, catalog, taste };
}
