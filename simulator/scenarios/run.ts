import type { BenchTable } from '../../core/table.ts';
import type { ScenarioContext, ScenarioResult } from './context.ts';
import { coldStart, commerceIntent, drift, follow, hide, nicheBinge } from './interest.ts';
import { SCENARIO_NAMES, type ScenarioName } from './thresholds.ts';
import { explorationSpread, newItem } from './traffic.ts';

const SCENARIOS: Record<ScenarioName, (ctx: ScenarioContext) => Promise<ScenarioResult>> = {
  'niche-binge': nicheBinge,
  drift,
  follow,
  hide,
  'new-item': newItem,
  'exploration-spread': explorationSpread,
  'commerce-intent': commerceIntent,
  'cold-start': coldStart,
};

/** `all` or comma-separated names, validated. */
export function parseScenarioNames(arg: string): ScenarioName[] {
  if (arg.trim() === 'all') return [...SCENARIO_NAMES];
  const names = arg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SCENARIO_NAMES as string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ') || '(none)'}; choose from all, ${SCENARIO_NAMES.join(', ')}`);
  return names as ScenarioName[];
}

/** Runs the scenarios one after another against `ctx.target`; each gets the same seed. */
export async function runScenarios(
  names: readonly ScenarioName[],
  ctx: ScenarioContext,
  onDone?: (r: ScenarioResult, elapsedSec: number) => void,
): Promise<(ScenarioResult & { elapsed_s: number })[]> {
  if (!Number.isInteger(ctx.trials) || ctx.trials < 1) throw new RangeError(`trials must be a positive integer (got ${ctx.trials})`);
  const out: (ScenarioResult & { elapsed_s: number })[] = [];
  for (const name of names) {
    const started = Date.now();
    const result = await SCENARIOS[name](ctx);
    const elapsed = Math.round((Date.now() - started) / 100) / 10;
    onDone?.(result, elapsed);
    out.push({ ...result, elapsed_s: elapsed });
  }
  return out;
}

/** A scenario figure for people: shares as percentages. */
export const showFigure = (v: number | null, unit: string) => (v === null ? '-' : unit === 'share' ? `${(v * 100).toFixed(1)}%` : `${Number(v.toFixed(1))} ${unit}`);

/** One row per scenario: figure, threshold, verdict, and why when nothing could be measured. */
export function scenarioTable(target: string, results: readonly ScenarioResult[]): BenchTable {
  return {
    title: `scenarios against ${target}`,
    columns: ['scenario', 'measured', 'threshold', 'verdict', 'figure / reason'],
    rows: results.map((r) => [r.scenario, showFigure(r.value, r.unit), r.threshold, r.pass ? 'pass' : 'FAIL', r.reason ?? r.figure]),
  };
}
