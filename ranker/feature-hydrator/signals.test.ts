import { describe, expect, it } from 'vitest';
import { contextWith, setup, unbounded } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { signalsHydrator } from './signals.ts';

describe('signals hydrator', () => {
  it('gives every candidate its signals: catalog fields, follows, friends, locale', async () => {
    const s = setup();
    // u1 follows c1 and is a friend of u2 (makeWorld); v1 is by c1, v2 by c2.
    s.online.apply([event('like', 'u2', { item_id: 'v2' })]);
    const { ctx, candidates } = contextWith(
      s.pipeline,
      'u1',
      ['v1', 'v2'].map((id) => ({ id, source: 'ann' })),
    );
    await signalsHydrator.hydrate(ctx, candidates, unbounded);
    const [v1, v2] = candidates.map((c) => c.signals!);
    expect(v1).toMatchObject({ item_id: 'v1', creator_id: 'c1', followed_creator: true, friends_engaged: 0 });
    expect(v2).toMatchObject({ item_id: 'v2', creator_id: 'c2', followed_creator: false, friends_engaged: 1 });
    expect(v1!.duration_ms).toBe(s.rows.items[1]!.duration_ms);
    expect(v1!.locale_match).toBe(s.rows.items[1]!.locale === 'zh');
  });
});
