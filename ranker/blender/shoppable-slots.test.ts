import { describe, expect, it } from 'vitest';
import { MemoryOnlineState } from '../../ingest/memory-online-state.ts';
import { testConfig } from '../../test/stack.ts';
import { FeedPipeline } from '../pipeline.ts';
import { newSession } from '../session.ts';
import { catalogFromRows, makeWorld } from '../testing.ts';
import { TrafficPool } from '../traffic-pool.ts';
import type { Candidate } from '../types.ts';
import { shoppableCandidates } from './shoppable-slots.ts';

describe('shoppableCandidates', () => {
  it('returns the best unserved slots in value order, the first `limit` of the full list', () => {
    const config = testConfig();
    const rows = makeWorld({ items: 200, productShare: 0.6 });
    const catalog = catalogFromRows(rows, config);
    const pipeline = new FeedPipeline({ config, catalog, online: new MemoryOnlineState(), models: () => undefined, pool: new TrafficPool(config.ranker) });
    const ctx = pipeline.contextFor({ userId: 'u1', count: 10, explain: false, now: Date.now(), session: newSession('0123456789abcdef', 8192, 4) });
    ctx.ranked = Array.from({ length: 200 }, (_, row): Candidate => ({
      row, itemId: catalog.items.id(row), source: 'locale', sources: ['locale'], sourceScore: 0,
      purchase: (row % 17) / 100, score: 1,
    }));
    const key = (s: ReturnType<typeof shoppableCandidates>[number]) =>
      s.type === 'product' ? `p:${catalog.products.id(s.productRow)}` : `l:${catalog.lives[s.liveIndex]!.live_id}`;

    const all = shoppableCandidates(ctx, new Set());
    expect(all.length).toBeGreaterThan(20);
    const values = all.map((s) => s.value);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(shoppableCandidates(ctx, new Set(), 5).map(key)).toEqual(all.slice(0, 5).map(key));

    // Served in this session: skipped, and the next best take their places.
    ctx.request.session.served.add(key(all[0]!));
    ctx.request.session.served.add(key(all[2]!));
    expect(shoppableCandidates(ctx, new Set(), 3).map(key)).toEqual([all[1]!, all[3]!, all[4]!].map(key));
  });
});
