import { describe, expect, it } from 'vitest';
import { contextWith, NOW, runFilter, setup } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { trafficPoolFilter } from './traffic-pool.ts';

describe('traffic-pool filter', () => {
  it('a fresh item its first audience skipped gets no broad traffic, personal sources may still show it', async () => {
    const s = setup();
    const fresh = { ...s.rows.items[0]!, item_id: 'new-skipped', published_at: Math.floor(NOW / 1000) - 600 };
    s.catalog.upsertItems([fresh]);
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, Math.floor(NOW / 1000));
    const cap = s.config.ranker.trafficPool.tiers[0]!.maxImpressions;
    const events = Array.from({ length: cap }, (_, k) => [
      event('impression', `aud${k}`, { item_id: 'new-skipped' }),
      event('play', `aud${k}`, { item_id: 'new-skipped', watch_ms: 500, duration_ms: 20_000 }),
      event('skip', `aud${k}`, { item_id: 'new-skipped' }),
    ]).flat();
    s.online.apply(events);
    const { ctx, candidates } = contextWith(s.pipeline, 'u1', [
      { id: 'new-skipped', source: 'locale' },
      { id: 'v12', source: 'locale' },
    ]);
    const res = await runFilter(trafficPoolFilter, ctx, candidates);
    expect(res.kept).toEqual(['v12']);
    expect(res.removed[0]![0]).toBe('new-skipped');
    expect(res.removed[0]![1]).toMatch(/^traffic pool stopped: audience of first-audience: watch ratio 0\.0\d < 0\.5, completion 0\.00 < 0\.3, skip rate 1\.00 > 0\.6$/);
    const personal = contextWith(s.pipeline, 'u1', [{ id: 'new-skipped', source: 'following' }]);
    expect((await runFilter(trafficPoolFilter, personal.ctx, personal.candidates)).kept).toEqual(['new-skipped']);
  });
});
