import { randomBytes } from 'node:crypto';
import { simulateHistory } from './history.ts';
import { MetricsAccumulator, type PolicyReport } from './metrics.ts';
import { httpPolicy } from './policies/http.ts';
import { oraclePolicy } from './policies/oracle.ts';
import { popularPolicy } from './policies/popular.ts';
import { randomPolicy } from './policies/random.ts';
import type { FeedPolicy } from './policies/types.ts';
import { Simulator, type EventSink } from './session.ts';
import type { World } from './world/generate.ts';
import { Rng } from './world/rng.ts';

export const POLICY_NAMES = ['random', 'popular', 'oracle', 'http'] as const;

export interface PolicyOptions {
  seed: number;
  /**
   * Days of simulated history the learning baseline (`popular`) observes before the run: the same
   * history (world seed, days) `feed seed` sent the engine, so both start from the same warm-up.
   * Default 7, as `simulator.days`.
   */
  warmupDays?: number;
  /** For `http`. */
  url?: string;
  apiKey?: string;
  /** For `http` scenarios that publish videos: a key with the publisher role. */
  publisherKey?: string;
}

export async function createPolicy(name: string, world: World, opts: PolicyOptions): Promise<FeedPolicy> {
  switch (name) {
    case 'random':
      return randomPolicy(world, opts.seed);
    case 'popular': {
      const policy = popularPolicy(world, opts.seed);
      await simulateHistory(world, opts.warmupDays ?? 7, world.spec.seed, 10_000, async (events) => policy.observe(events));
      return policy;
    }
    case 'oracle':
      return oraclePolicy(world, opts.seed);
    case 'http':
      if (!opts.url || !opts.apiKey) throw new Error('the http policy needs --url and --api-key');
      return httpPolicy({ url: opts.url, apiKey: opts.apiKey, ...(opts.publisherKey ? { publisherKey: opts.publisherKey } : {}) });
    default:
      throw new Error(`unknown policy "${name}"; choose from ${POLICY_NAMES.join(', ')}`);
  }
}

export interface SimulateOptions {
  /** Simulated people (a fixed sample of the world's users). */
  users: number;
  /** Sessions per person. */
  sessions: number;
  seed: number;
  pageSize?: number;
  maxEntriesPerSession?: number;
  /**
   * Start of the first session on the world's clock (default: the world's now), the one clock
   * every policy is measured on; sessions of one person are `sessionGapMs` apart.
   */
  startMs?: number;
  sessionGapMs?: number;
  /** Stamp the events sent out with the real clock (set for the http policy: the API rejects future events). */
  wallClock?: boolean;
  runTag?: string;
  onProgress?: (sessionsDone: number, sessionsTotal: number, policy: string) => void;
  sink?: EventSink;
}

/** The same people for every policy: a seeded sample of user indexes. */
export function cohort(world: World, users: number, seed: number): Int32Array {
  const n = world.users.count;
  if (users >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed, 'cohort');
  const picked = new Set<number>();
  while (picked.size < users) picked.add(rng.int(n));
  return Int32Array.from(picked);
}

/** Closed loop: every user runs `sessions` sessions against the policy; returns what was measured. */
export async function simulate(world: World, policy: FeedPolicy, opts: SimulateOptions): Promise<PolicyReport> {
  if (!Number.isInteger(opts.users) || opts.users < 1) throw new RangeError(`users must be a positive integer (got ${opts.users})`);
  if (!Number.isInteger(opts.sessions) || opts.sessions < 1) throw new RangeError(`sessions must be a positive integer (got ${opts.sessions})`);
  const people = cohort(world, opts.users, opts.seed);
  const sim = new Simulator(world, {
    seed: opts.seed,
    runTag: opts.runTag ?? `sim${randomBytes(4).toString('hex')}`,
    pageSize: opts.pageSize,
    maxEntries: opts.maxEntriesPerSession,
    wallClock: opts.wallClock,
  });
  const metrics = new MetricsAccumulator(world);
  const start = opts.startMs ?? world.spec.nowSec * 1000;
  const gap = opts.sessionGapMs ?? 2 * 3600 * 1000;
  const total = people.length * opts.sessions;
  let done = 0;
  try {
    for (let s = 0; s < opts.sessions; s++) {
      for (const u of people) {
        await sim.session(u, policy, start + s * gap, metrics, opts.sink);
        opts.onProgress?.(++done, total, policy.name);
      }
    }
  } finally {
    await policy.close?.();
  }
  return metrics.report(policy.name, policy.commerceSlots ?? false);
}

/** Runs each policy on the same people with the same seed, one after another. */
export async function comparePolicies(world: World, names: readonly string[], opts: SimulateOptions & PolicyOptions): Promise<PolicyReport[]> {
  const reports: PolicyReport[] = [];
  for (const name of names) {
    const policy = await createPolicy(name, world, opts);
    reports.push(await simulate(world, policy, { ...opts, wallClock: opts.wallClock ?? name === 'http' }));
  }
  return reports;
}
