import { hash32 } from '../core/hash.ts';

/**
 * Team-draft interleaving (Radlinski et al., 2008): the two teams take turns picking their
 * best entry not on the page yet; whoever has picked fewer goes next, a coin decides ties.
 * The coin is seeded by `seed` (the request id), so a page can be rebuilt.
 */
export function teamDraft<T>(a: readonly T[], b: readonly T[], count: number, key: (entry: T) => string, seed: string): { entry: T; team: 0 | 1 }[] {
  const lists = [a, b] as const;
  const next = [0, 0];
  const picked = [0, 0];
  const taken = new Set<string>();
  const out: { entry: T; team: 0 | 1 }[] = [];
  let coin = hash32(seed);
  const advance = (team: 0 | 1) => {
    const list = lists[team];
    while (next[team]! < list.length && taken.has(key(list[next[team]!]!))) next[team]!++;
    return next[team]! < list.length;
  };
  while (out.length < count) {
    const hasA = advance(0);
    const hasB = advance(1);
    if (!hasA && !hasB) break;
    let team: 0 | 1;
    if (!hasA) team = 1;
    else if (!hasB) team = 0;
    else if (picked[0] !== picked[1]) team = picked[0]! < picked[1]! ? 0 : 1;
    else {
      coin = Math.imul(coin ^ (coin >>> 15), 0x2c1b3c6d) >>> 0;
      team = (coin >>> 16) & 1 ? 1 : 0;
    }
    const entry = lists[team][next[team]!]!;
    taken.add(key(entry));
    picked[team]!++;
    out.push({ entry, team });
  }
  return out;
}
