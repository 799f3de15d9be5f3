import type { Command } from 'commander';
import { formatTable } from '../../simulator/metrics.ts';
import { progressPrinter } from '../../simulator/progress.ts';
import { readSeededSpec } from '../../simulator/seed.ts';
import { comparePolicies, POLICY_NAMES } from '../../simulator/simulate.ts';
import { generateWorld } from '../../simulator/world/generate.ts';
import type { WorldSpec } from '../../simulator/world/spec.ts';
import { configFrom } from '../context.ts';
import { epochSeconds, integer, nonNegativeInt } from './seed.ts';

interface SimulateFlags {
  policy: string;
  users: number;
  sessions: number;
  url?: string;
  apiKey?: string;
  seed?: number;
  worldItems?: number;
  worldUsers?: number;
  worldSeed?: number;
  now?: number;
  pageSize?: number;
  json?: boolean;
}

export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate')
    .description('closed-loop evaluation: simulated people swipe through a policy\'s feed; prints watch time, completion, purchases, coverage, freshness, creator Gini')
    .option('--policy <names>', `one or more of ${POLICY_NAMES.join(', ')}, comma-separated, run side by side`, 'random,popular,oracle')
    .option('--users <n>', 'simulated people', nonNegativeInt, 200)
    .option('--sessions <n>', 'sessions per person', nonNegativeInt, 5)
    .option('--url <url>', 'feed API for the http policy (default: http://api.host:api.port)')
    .option('--api-key <key>', 'API key for the http policy (default: the first non-admin key in the config)')
    .option('--seed <n>', 'seed of the people and their behaviour (default: config seed)', integer)
    .option('--world-items <n>', 'videos in the world (default: the world `feed seed` loaded, else simulator.items)', nonNegativeInt)
    .option('--world-users <n>', 'people in the world (default: as seeded, else simulator.users)', nonNegativeInt)
    .option('--world-seed <n>', 'world seed (default: as seeded, else config seed)', integer)
    .option('--now <time>', "the world's now for in-process runs, epoch seconds or ISO-8601", epochSeconds)
    .option('--page-size <n>', 'entries per page (default: simulator.pageSize)', nonNegativeInt)
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: SimulateFlags, cmd: Command) => {
      const config = configFrom(cmd);
      const names = opts.policy.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !(POLICY_NAMES as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) {
        throw new Error(`unknown policy ${unknown.join(', ') || '(none)'}; choose from ${POLICY_NAMES.join(', ')}`);
      }
      const seeded = readSeededSpec(config);
      const spec: WorldSpec = {
        seed: opts.worldSeed ?? seeded?.seed ?? config.seed,
        items: opts.worldItems ?? seeded?.items ?? config.simulator.items,
        users: opts.worldUsers ?? seeded?.users ?? config.simulator.users,
        nowSec: opts.now ?? seeded?.nowSec ?? Math.floor(Date.now() / 3_600_000) * 3600,
      };
      const progress = progressPrinter('simulate');
      const world = generateWorld(spec, progress);
      const key = opts.apiKey ?? config.api.keys.find((k) => !k.admin)?.key ?? config.api.keys[0]?.key;
      const reports = await comparePolicies(world, names, {
        users: Math.min(opts.users, world.users.count),
        sessions: opts.sessions,
        seed: opts.seed ?? config.seed,
        pageSize: opts.pageSize ?? config.simulator.pageSize,
        maxEntriesPerSession: config.simulator.maxEntriesPerSession,
        url: opts.url ?? `http://${config.api.host}:${config.api.port}`,
        apiKey: key,
        onProgress: (done, total, policy) => progress(`${policy} sessions`, done, total),
      });
      if (opts.json) console.log(JSON.stringify({ world: spec, reports }, null, 2));
      else {
        console.log(`world seed=${spec.seed}: ${world.items.count.toLocaleString('en-US')} videos, ${world.users.count.toLocaleString('en-US')} people; ${opts.users} people x ${opts.sessions} sessions\n`);
        console.log(formatTable(reports));
      }
    });
}
