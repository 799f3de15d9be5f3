import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { type BenchResult, writeResult } from '../../benchmarks/harness/result.ts';
import { DEFAULT_RESULTS_DIR, startRun } from '../../benchmarks/harness/run.ts';
import { formatTable } from '../../core/table.ts';
import { armSeries, reportTable } from '../../experiments/format.ts';
import { engineExperimentReport } from '../../simulator/experiment.ts';
import { engineInfo } from '../../simulator/policies/http.ts';
import { progressPrinter } from '../../simulator/progress.ts';
import { policiesOutput, scenariosOutput, SIMULATE_BENCHMARKS, writeSimulateReadme } from '../../simulator/results.ts';
import { parseScenarioNames, runScenarios } from '../../simulator/scenarios/run.ts';
import { readSeededSpec } from '../../simulator/seed.ts';
import { comparePolicies, createPolicy, POLICY_NAMES } from '../../simulator/simulate.ts';
import { generateWorld } from '../../simulator/world/generate.ts';
import type { WorldSpec } from '../../simulator/world/spec.ts';
import { configFrom } from '../context.ts';
import { epochSeconds, integer, nonNegativeInt } from './seed.ts';

interface SimulateFlags {
  policy: string;
  users: number;
  sessions: number;
  scenario?: string;
  trials: number;
  strict?: boolean;
  out: string;
  url?: string;
  apiKey?: string;
  publisherKey?: string;
  seed?: number;
  worldItems?: number;
  worldUsers?: number;
  worldSeed?: number;
  now?: number;
  pageSize?: number;
  json?: boolean;
  readme?: boolean;
}

/** Runs below these sizes are marked smoke: they land in the results folder but never in the README or `latest/`. */
const FULL_RUN = { sessions: 250, trials: 10 };

export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate')
    .description(
      "closed-loop evaluation: simulated people swipe through a policy's feed (video and commerce metrics side by side), or named scenarios with pass/fail; writes a JSON result under benchmarks/results/",
    )
    .option('--policy <names>', `one or more of ${POLICY_NAMES.join(', ')}, comma-separated, run side by side (with --scenario: the one target, default http)`, 'random,popular,oracle')
    .option('--users <n>', 'simulated people', nonNegativeInt, 200)
    .option('--sessions <n>', 'sessions per person', nonNegativeInt, 5)
    .option('--scenario <names>', 'run named scenarios instead: all, or comma-separated (niche-binge, drift, follow, hide, new-item, exploration-spread, commerce-intent, cold-start)')
    .option('--trials <n>', 'repetitions per scenario', nonNegativeInt, FULL_RUN.trials)
    .option('--strict', 'exit 1 when a scenario fails its threshold')
    .option('--out <dir>', 'folder for the JSON result', DEFAULT_RESULTS_DIR)
    .option('--url <url>', 'feed API for the http policy (default: http://api.host:api.port)')
    .option('--api-key <key>', 'API key for the http policy (default: the first non-admin key in the config)')
    .option('--publisher-key <key>', 'key with the publisher role, for scenarios that publish videos (default: the first publisher, else admin, key in the config)')
    .option('--seed <n>', 'seed of the people and their behaviour (default: config seed)', integer)
    .option('--world-items <n>', 'videos in the world (default: the world `feed seed` loaded, else simulator.items)', nonNegativeInt)
    .option('--world-users <n>', 'people in the world (default: as seeded, else simulator.users)', nonNegativeInt)
    .option('--world-seed <n>', 'world seed (default: as seeded, else config seed)', integer)
    .option('--now <time>', "the world's now for in-process runs, epoch seconds or ISO-8601", epochSeconds)
    .option('--page-size <n>', 'entries per page (default: simulator.pageSize)', nonNegativeInt)
    .option('--json', 'print the JSON result instead of tables')
    .option('--readme', "only regenerate README.md's closed-loop block from the newest full results in --out (and --out/latest)")
    .action(async (opts: SimulateFlags, cmd: Command) => {
      if (opts.readme) {
        console.log(`wrote ${writeSimulateReadme(opts.out, fileURLToPath(new URL('../../README.md', import.meta.url)))}`);
        return;
      }
      const config = configFrom(cmd);
      const scenarios = opts.scenario ? parseScenarioNames(opts.scenario) : null;
      const policyArg = scenarios && cmd.getOptionValueSource('policy') === 'default' ? 'http' : opts.policy;
      const names = policyArg
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !(POLICY_NAMES as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) {
        throw new Error(`unknown policy ${unknown.join(', ') || '(none)'}; choose from ${POLICY_NAMES.join(', ')}`);
      }
      if (scenarios && names.length !== 1) throw new Error(`--scenario runs against one policy; got --policy ${policyArg}`);
      const seeded = readSeededSpec(config);
      const spec: WorldSpec = {
        seed: opts.worldSeed ?? seeded?.seed ?? config.seed,
        items: opts.worldItems ?? seeded?.items ?? config.simulator.items,
        users: opts.worldUsers ?? seeded?.users ?? config.simulator.users,
        nowSec: opts.now ?? seeded?.nowSec ?? Math.floor(Date.now() / 3_600_000) * 3600,
      };
      const run = startRun();
      const progress = progressPrinter('simulate');
      const world = generateWorld(spec, progress);
      const url = opts.url ?? `http://${config.api.host}:${config.api.port}`;
      const apiKey = opts.apiKey ?? config.api.keys.find((k) => !k.admin)?.key ?? config.api.keys[0]?.key;
      const engine = names.includes('http') && apiKey ? await engineInfo(url, apiKey) : null;
      const backend = engine ? { tfjs: engine.tfjs, reason: `the engine's (${engine.reason})` } : { tfjs: 'none', reason: 'in-process policies only: no model runs' };
      const seed = opts.seed ?? config.seed;
      const pageSize = opts.pageSize ?? config.simulator.pageSize;
      const publisherKey = opts.publisherKey ?? (config.api.keys.find((k) => k.publisher) ?? config.api.keys.find((k) => k.admin))?.key;
      const policyOpts = { seed, warmupDays: config.simulator.days, url, apiKey, publisherKey };
      const params = {
        // Global options such as `-c FILE` may stand before the subcommand: record what follows it.
        command: `feed simulate ${process.argv.slice(process.argv.indexOf('simulate') + 1).join(' ')}`.trim(),
        seed,
        page_size: pageSize,
        warmup_days: config.simulator.days,
        engine_model: engine?.model ?? null,
        clock: "world's clock for every policy (sessions start at the world's now); events posted to the engine carry the wall clock",
        engine_clock_offset_s: engine ? Math.round(Date.now() / 1000) - spec.nowSec : null,
      };

      let result: BenchResult;
      let failed = 0;
      if (scenarios) {
        const target = await createPolicy(names[0]!, world, policyOpts);
        const ctx = { world, target, trials: opts.trials, seed, runTag: `scn${randomBytes(3).toString('hex')}`, pageSize, wallClock: target.name === 'http' };
        const results = await runScenarios(scenarios, ctx, (r, s) => progress(`${r.scenario} ${r.pass ? 'pass' : 'FAIL'} (${s} s)`, 1, 1));
        failed = results.filter((r) => !r.pass).length;
        result = run.finish(
          { benchmark: SIMULATE_BENCHMARKS.scenarios, smoke: opts.trials < FULL_RUN.trials, repeats: 1, backend },
          scenariosOutput(spec, { ...params, trials: opts.trials }, target.name, results),
        );
      } else {
        const reports = await comparePolicies(world, names, {
          ...policyOpts,
          users: Math.min(opts.users, world.users.count),
          sessions: opts.sessions,
          pageSize,
          maxEntriesPerSession: config.simulator.maxEntriesPerSession,
          onProgress: (done, total, policy) => progress(`${policy} sessions`, done, total),
        });
        const output = policiesOutput(spec, { ...params, users: opts.users, sessions: opts.sessions }, reports);
        // Against an engine running an experiment, the same run is also that experiment's traffic: add its per-arm results.
        const adminKey = config.api.keys.find((k) => k.admin)?.key;
        const experiment = names.includes('http') && adminKey ? await engineExperimentReport({ url, adminKey }) : undefined;
        if (experiment) {
          output.tables.push(reportTable(experiment));
          output.series.experiment_arms = armSeries(experiment);
          output.params.experiment = experiment.experiment.id;
        }
        result = run.finish({ benchmark: SIMULATE_BENCHMARKS.policies, smoke: reports[0]!.sessions < FULL_RUN.sessions, repeats: 1, backend }, output);
      }
      const file = writeResult(result, opts.out);
      if (opts.json) {
        console.log(JSON.stringify(result, null, 2));
        process.stderr.write(`result: ${file}\n`);
      } else {
        console.log(
          `world seed=${spec.seed}: ${world.items.count.toLocaleString('en-US')} videos, ${world.users.count.toLocaleString('en-US')} people; load ${result.machine.load_1m} on ${result.machine.cores} cores\n`,
        );
        for (const t of result.tables) console.log(`${formatTable(t)}\n`);
        console.log(`result: ${file}`);
      }
      if (scenarios && failed > 0 && opts.strict) process.exitCode = 1;
    });
}
