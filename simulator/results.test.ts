import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchResultSchema, writeResult } from '../benchmarks/harness/result.ts';
import { startRun } from '../benchmarks/harness/run.ts';
import { policiesOutput, scenariosOutput, simulateMarkdown, spliceSimulate, SIMULATE_BENCHMARKS, writeSimulateReadme } from './results.ts';
import { runScenarios } from './scenarios/run.ts';
import { comparePolicies, createPolicy } from './simulate.ts';
import { generateWorld } from './world/generate.ts';

const spec = { seed: 4, items: 2000, users: 200, nowSec: 1_750_000_000 };
const world = generateWorld(spec);
const backend = { tfjs: 'none', reason: 'in-process' };

describe('simulate results', () => {
  it('are valid benchmark results, and the README block is generated from them', async () => {
    const reports = await comparePolicies(world, ['random', 'oracle'], { users: 30, sessions: 2, seed: 4, runTag: 'res', warmupDays: 1 });
    const policies = startRun().finish(
      { benchmark: SIMULATE_BENCHMARKS.policies, smoke: false, repeats: 1, backend },
      policiesOutput(spec, { command: 'feed simulate --policy random,oracle' }, reports),
    );
    const target = await createPolicy('random', world, { seed: 4 });
    const outcomes = await runScenarios(['hide', 'cold-start'], { world, target, trials: 3, seed: 4, runTag: 'res', pageSize: 10, wallClock: false });
    const scenarios = startRun().finish(
      { benchmark: SIMULATE_BENCHMARKS.scenarios, smoke: false, repeats: 1, backend },
      scenariosOutput(spec, { command: 'feed simulate --scenario hide,cold-start' }, 'random', outcomes),
    );
    for (const r of [policies, scenarios]) expect(BenchResultSchema.safeParse(JSON.parse(JSON.stringify(r))).success).toBe(true);
    expect(policies.references[0]).toMatchObject({ name: 'random', figure: 'oracle video watch' });
    expect(scenarios.targets.map((t) => [t.id, t.met])).toEqual(outcomes.map((o) => [o.scenario, o.pass]));

    const block = simulateMarkdown([policies, scenarios]);
    expect(block).toContain('| video watch s / session |');
    expect(block).toContain('| cold-start |');
    expect(block).toContain('`feed simulate --scenario hide,cold-start`');
    const readme = '# R\n\nbefore\n<!-- simulate:begin -->\nstale figures\n<!-- simulate:end -->\nafter\n';
    const next = spliceSimulate(readme, block);
    expect(next).not.toContain('stale figures');
    expect(next.startsWith('# R\n\nbefore\n<!-- simulate:begin')).toBe(true);
    expect(next.endsWith('<!-- simulate:end -->\nafter\n')).toBe(true);
    expect(() => spliceSimulate('# no markers', block)).toThrow(/has no <!-- simulate:begin/);

    // From files: the scenarios only in latest/ (a fresh clone), the policies in the results folder.
    const dir = mkdtempSync(join(tmpdir(), 'sim-results-'));
    writeResult(policies, dir);
    writeResult(scenarios, join(dir, 'latest'));
    writeFileSync(join(dir, 'README.md'), readme);
    expect(readFileSync(writeSimulateReadme(dir, join(dir, 'README.md')), 'utf8')).toBe(next);
    rmSync(dir, { recursive: true });
  });
});
