/**
 * Replays the soak's event stream (benchmarks/soak) into the in-process online state alone, in
 * simulated time, and prints its heap after a full GC each simulated minute, then the cost of one
 * trending recompute. Where the soak's serving-heap growth comes from, without a server:
 *
 *   node --expose-gc --import tsx benchmarks/online-state/soak-replay.ts
 *
 * Env: MINUTES (30), USERS (5,000), ITEMS (20,000, the soak's sample), RATE (2,000 events/s),
 * LEGACY_ITEMS=1 for the soak's item choice before 928c459 (4 items per user).
 */
import { MemoryOnlineState } from '../../ingest/memory-online-state.ts';
import { makeEvent } from '../../ingest/test-helpers.ts';
import { soakEvent } from '../soak/event-load.ts';

const minutes = Number(process.env.MINUTES ?? 30);
const users = Number(process.env.USERS ?? 5000);
const rate = Number(process.env.RATE ?? 2000);
const items = Array.from({ length: Number(process.env.ITEMS ?? 20_000) }, (_, i) => `i${i}`);
const legacy = process.env.LEGACY_ITEMS === '1';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc: the heap is read after a full GC');

let now = Date.parse('2026-12-07T00:00:00Z');
const state = new MemoryOnlineState({ now: () => now });
const opts = { runId: 'replay', users, items };
const event = (i: number) => (legacy ? { ...makeEvent(i, opts.runId, now), user_id: `u${(i * 7919) % users}`, item_id: items[(i * 104_729) % items.length]! } : soakEvent(i, opts, now));
const MiB = 2 ** 20;
let seq = 0;
for (let minute = 1; minute <= minutes; minute++) {
  for (let tick = 0; tick < 600; tick++) {
    state.apply(Array.from({ length: rate / 10 }, () => event(seq++)));
    now += 100;
    if (tick % 10 === 0) state.trending(60);
  }
  gc();
  const m = process.memoryUsage();
  console.log(`minute ${minute}: heap used ${(m.heapUsed / MiB).toFixed(1)} MiB, committed ${(m.heapTotal / MiB).toFixed(1)} MiB, RSS ${(m.rss / MiB).toFixed(0)} MiB`);
}
const calls = 50;
const t0 = performance.now();
for (let k = 0; k < calls; k++) {
  // A new event, a second later: past the reuse window, so every call recomputes.
  now += 1001;
  state.apply([event(seq++)]);
  state.trending(60);
}
console.log(`trending recompute over ${items.length.toLocaleString('en-US')} items: ${((performance.now() - t0) / calls).toFixed(2)} ms`);
