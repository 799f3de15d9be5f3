import { describe, expect, it } from 'vitest';
import { MemoryOnlineState } from './memory-online-state.ts';
import { onlineStateContract } from './online-state.contract.ts';

onlineStateContract('memory', ({ limits, now }) => new MemoryOnlineState({ config: limits, now, trendingCacheMs: 0 }));

describe('MemoryOnlineState countsItem', () => {
  it('keeps counters and trending only for items it counts, and still records the user side', () => {
    const s = new MemoryOnlineState({ countsItem: (id) => id.startsWith('known'), trendingCacheMs: 0 });
    const ts = Date.now();
    s.apply([
      { schema_version: 1, event_id: 'e1', kind: 'like', user_id: 'u1', item_id: 'known1', ts },
      { schema_version: 1, event_id: 'e2', kind: 'like', user_id: 'u1', item_id: 'made-up', ts },
    ]);
    expect(s.itemCounters('known1')?.likes).toBe(1);
    expect(s.itemCounters('made-up')).toBeUndefined();
    expect(s.trending(10).map((t) => t.item_id)).toEqual(['known1']);
    expect(s.seenItems('u1').has('made-up')).toBe(true);
  });
});
