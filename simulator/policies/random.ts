import type { World } from '../world/generate.ts';
import { Rng } from '../world/rng.ts';
import { published, ServedItems, videoEntry } from './in-process.ts';
import type { FeedPage, FeedPolicy, PageContext } from './types.ts';

/** Uniformly random published videos the user has not been served yet: the floor. */
export function randomPolicy(world: World, seed: number): FeedPolicy {
  const rng = new Rng(seed, 'policy/random');
  const served = new ServedItems();
  return {
    name: 'random',
    async page(userId: string, count: number, _cursor?: string, ctx?: PageContext): Promise<FeedPage> {
      const nowSec = ctx?.nowSec ?? world.spec.nowSec;
      const seen = served.of(userId);
      const entries = [];
      for (let tries = 0; entries.length < count && tries < count * 50; tries++) {
        const i = rng.int(world.items.count);
        if (seen.has(i) || !published(world, i, nowSec)) continue;
        seen.add(i);
        entries.push(videoEntry(world, i, entries.length, 'random', 0));
      }
      return { entries };
    },
  };
}
