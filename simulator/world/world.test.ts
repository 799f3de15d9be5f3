import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWorld, type World } from './generate.ts';
import { hasEdge, neighbours } from './graph.ts';
import { CATALOG_TABLES, catalogCounts, catalogRows, ids, indexOf } from './rows.ts';
import { Rng } from './rng.ts';
import { CATEGORIES, SEGMENTS, WORLD_PARAMS, type Category, type WorldSpec } from './spec.ts';

const NOW = 1_750_000_000;
const spec = (seed: number, items = 3000, users = 800): WorldSpec => ({ seed, items, users, nowSec: NOW });

function hashRows(world: World): string {
  const h = createHash('sha256');
  for (const table of CATALOG_TABLES) for (const chunk of catalogRows(world, table, 500)) h.update(JSON.stringify(chunk));
  return h.digest('hex');
}

describe('Rng', () => {
  it('repeats a stream for the same seed and label and differs otherwise', () => {
    const draw = (seed: number, label: string) =>
      Array.from(
        { length: 5 },
        (() => {
          const r = new Rng(seed, label);
          return () => r.next32();
        })(),
      );
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
  });

  it('draws uniform and normal values with the right moments', () => {
    const r = new Rng(9, 'moments');
    const n = 50_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.float();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });
});

describe('world generation', () => {
  const world = generateWorld(spec(1));

  it('is deterministic by seed: same rows byte for byte, different for another seed', () => {
    const again = hashRows(generateWorld(spec(1)));
    expect(hashRows(world)).toBe(again);
    expect(hashRows(generateWorld(spec(2)))).not.toBe(again);
    // Ground truth is deterministic too.
    expect(Buffer.from(generateWorld(spec(1)).items.vec.buffer).equals(Buffer.from(world.items.vec.buffer))).toBe(true);
  });

  it('keeps the items when only the number of users changes', () => {
    const other = generateWorld(spec(1, 3000, 500));
    expect(Buffer.from(other.items.quality.buffer).equals(Buffer.from(world.items.quality.buffer))).toBe(true);
  });

  it('has the requested counts and streams them in chunks', () => {
    const counts = catalogCounts(world);
    expect(counts.items).toBe(3000);
    expect(counts.users).toBe(800);
    expect(counts.creators).toBe(75);
    for (const table of CATALOG_TABLES) {
      let n = 0;
      for (const chunk of catalogRows(world, table, 700)) {
        expect(chunk.length).toBeLessThanOrEqual(700);
        n += chunk.length;
      }
      expect(n, table).toBe(counts[table]);
    }
  });

  it('writes catalog rows without the ground truth, with valid references', () => {
    const [items] = [...catalogRows(world, 'items', 3000)];
    const [products] = [...catalogRows(world, 'products', 10_000)];
    const productIds = new Set(products!.map((p) => p.product_id));
    for (const row of items!) {
      expect(Object.keys(row).sort()).toEqual(['available', 'category', 'creator_id', 'duration_ms', 'item_id', 'locale', 'product_id', 'published_at', 'title'].sort());
      expect(row.published_at).toBeLessThanOrEqual(NOW);
      if (row.product_id) expect(productIds.has(row.product_id)).toBe(true);
    }
    const withCard = items!.filter((r) => r.product_id).length / items!.length;
    expect(withCard).toBeGreaterThan(0.08);
    // KOLs post more and carry cards more often, so the share sits above the 12% base rate.
    expect(withCard).toBeLessThan(0.45);
    const text = JSON.stringify([...catalogRows(world, 'users', 10_000)]);
    expect(text).not.toMatch(/vec|quality|patience|propensity|interest/);
  });

  it('maps ids both ways and rejects foreign ids', () => {
    expect(indexOf(ids.item(42), 'v', 3000)).toBe(42);
    expect(indexOf('v3000', 'v', 3000)).toBe(-1);
    expect(indexOf('v042', 'v', 3000)).toBe(-1);
    expect(indexOf('c1', 'v', 3000)).toBe(-1);
  });

  it('has heavy-tailed creators: a few KOLs with large followings and most of the output', () => {
    const big = generateWorld(spec(3, 40_000, 2000));
    const { isKol, followers } = big.creators;
    const kols = isKol.reduce((a, b) => a + b, 0);
    expect(kols / big.creators.count).toBeGreaterThan(0.015);
    expect(kols / big.creators.count).toBeLessThan(0.05);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const kolF = median([...followers].filter((_, i) => isKol[i]));
    const otherF = median([...followers].filter((_, i) => !isKol[i]));
    expect(kolF).toBeGreaterThan(100 * otherF);
    const perCreator = new Array<number>(big.creators.count).fill(0);
    for (const c of big.items.creator) perCreator[c]!++;
    perCreator.sort((a, b) => b - a);
    const top10 = perCreator.slice(0, Math.ceil(big.creators.count / 10)).reduce((a, b) => a + b, 0);
    expect(top10 / big.items.count).toBeGreaterThan(0.25);
  });

  it('keeps the demo world within its concentration limits: no creator over 2%, no category over 25%', () => {
    const demo = generateWorld({ seed: 42, items: 20_000, users: 2_000, nowSec: NOW });
    const perCreator = new Map<number, number>();
    const perCategory = new Map<number, number>();
    for (const row of [...catalogRows(demo, 'items', 5_000)].flat()) {
      const creator = indexOf(row.creator_id, 'c', demo.creators.count);
      perCreator.set(creator, (perCreator.get(creator) ?? 0) + 1);
      const c = CATEGORIES.indexOf(row.category as Category);
      perCategory.set(c, (perCategory.get(c) ?? 0) + 1);
    }
    const largest = (m: Map<number, number>) => Math.max(...m.values()) / demo.items.count;
    expect(largest(perCreator)).toBeLessThanOrEqual(WORLD_PARAMS.maxCreatorShare);
    expect(largest(perCategory)).toBeLessThanOrEqual(WORLD_PARAMS.maxCategoryShare);
    // Still heavy-tailed under the caps, and still with niche categories to binge on.
    const sizes = [...perCreator.values()].sort((a, b) => b - a);
    expect(sizes[0]! / sizes[Math.floor(sizes.length / 2)]!).toBeGreaterThan(8);
    expect(Math.min(...perCategory.values()) / demo.items.count).toBeLessThan(0.03);
  });

  it('has a friend graph with measurable homophily, symmetric and without self-loops', () => {
    const { friends, users } = world;
    let same = 0;
    let edges = 0;
    for (let u = 0; u < users.count; u++) {
      for (const f of neighbours(friends, u)) {
        expect(f).not.toBe(u);
        expect(hasEdge(friends, f, u)).toBe(true);
        edges++;
        if (users.mainCategory[f] === users.mainCategory[u]) same++;
      }
    }
    // Baseline: the chance two random users share a main category.
    const share = new Array<number>(16).fill(0);
    for (const c of users.mainCategory) share[c]!++;
    const baseline = share.reduce((a, n) => a + (n / users.count) ** 2, 0);
    expect(edges / users.count).toBeGreaterThan(3);
    expect(same / edges).toBeGreaterThan(baseline + 0.4);
  });

  it('gives kol_followers mostly KOL follows and every segment its share', () => {
    const { follows, users, creators } = world;
    const kolShare = (segment: string) => {
      let kol = 0;
      let all = 0;
      for (let u = 0; u < users.count; u++) {
        if (SEGMENTS[users.segment[u]!] !== segment) continue;
        for (const c of neighbours(follows, u)) {
          all++;
          kol += creators.isKol[c]!;
        }
      }
      return kol / all;
    };
    expect(kolShare('kol_follower')).toBeGreaterThan(0.6);
    expect(kolShare('kol_follower')).toBeGreaterThan(kolShare('buyer') + 0.2);
    SEGMENTS.forEach((s, i) => {
      const n = users.segment.filter((x) => x === i).length / users.count;
      expect(n, s).toBeCloseTo(WORLD_PARAMS.segmentShares[i]!, 1);
    });
  });

  it('rejects impossible specs with a clear message', () => {
    expect(() => generateWorld({ ...spec(1), items: 3 })).toThrow(/items must be an integer >= 10/);
    expect(() => generateWorld({ ...spec(1), nowSec: 5 })).toThrow(/nowSec/);
  });
});
