import type { EngagementEvent } from '../ingest/events.ts';
import { popularPolicy } from './policies/popular.ts';
import { Simulator } from './session.ts';
import type { ProgressFn, World } from './world/generate.ts';
import { Rng } from './world/rng.ts';
import { SEGMENTS, type Segment } from './world/spec.ts';

/** Share of days a person opens the app, and extra sessions on such a day (Poisson mean). */
const ACTIVITY: Record<Segment, { daily: number; extraSessions: number }> = {
  new: { daily: 0.6, extraSessions: 0.3 },
  heavy: { daily: 0.95, extraSessions: 1.5 },
  kol_follower: { daily: 0.6, extraSessions: 0.5 },
  buyer: { daily: 0.5, extraSessions: 0.3 },
};

/**
 * Simulated history before `world.spec.nowSec`: each day, active people run sessions against a
 * popularity/random mix (half the slots explore), oldest day first so popularity builds up.
 * Events are stamped in the past and delivered to `send` in batches.
 */
export async function simulateHistory(world: World, days: number, seed: number, batch: number, send: (events: EngagementEvent[]) => Promise<void>, progress: ProgressFn = () => {}): Promise<number> {
  if (days <= 0) return 0;
  const rng = new Rng(seed, 'history');
  const policy = popularPolicy(world, seed, { explore: 0.5 });
  const sim = new Simulator(world, { seed, runTag: `h${seed >>> 0}`, maxEntries: 60 });
  const now = world.spec.nowSec;
  let buffer: EngagementEvent[] = [];
  let sent = 0;
  const flush = async () => {
    const out = buffer;
    buffer = [];
    sent += out.length;
    await send(out);
  };
  for (let d = days; d >= 1; d--) {
    const dayStart = now - d * 86_400;
    for (let u = 0; u < world.users.count; u++) {
      const activity = ACTIVITY[SEGMENTS[world.users.segment[u]!]!];
      if (!rng.chance(activity.daily)) continue;
      const sessions = 1 + rng.poisson(activity.extraSessions);
      for (let s = 0; s < sessions; s++) {
        // Sessions end at least two hours before now, so every event is in the past.
        const start = dayStart + rng.int(86_400 - 7_200);
        if (start < world.users.createdAt[u]!) continue;
        await sim.session(u, policy, start * 1000, undefined, (events) => {
          buffer.push(...events);
        });
        if (buffer.length >= batch) await flush();
      }
    }
    progress('history days', days - d + 1, days);
  }
  if (buffer.length > 0) await flush();
  return sent;
}
