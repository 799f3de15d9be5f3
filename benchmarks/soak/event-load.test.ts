import { describe, expect, it } from 'vitest';
import { soakEvent } from './event-load.ts';

describe('soakEvent', () => {
  it('gives each user new items as the run goes on, over the whole sample', () => {
    const opts = { runId: 'r', users: 5000, items: Array.from({ length: 20_000 }, (_, i) => `i${i}`) };
    const events = Array.from({ length: 500_000 }, (_, i) => soakEvent(i, opts, 0));
    const firstUser = events.filter((e) => e.user_id === 'u0').map((e) => e.item_id);
    expect(firstUser).toHaveLength(100);
    // A user's items barely repeat (an earlier formula gave every user 4 items).
    expect(new Set(firstUser).size).toBeGreaterThan(95);
    expect(new Set(events.map((e) => e.item_id)).size).toBeGreaterThan(19_900);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  });
});
