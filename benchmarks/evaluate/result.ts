import { cpuTimes, machineInfo, stealShare, type CpuTimes, type GitInfo } from '../harness/machine.ts';
import { RESULT_SCHEMA_VERSION, type BenchResult } from '../harness/result.ts';
import type { BackendInfo } from '../../models/backend.ts';
import type { ModelReport } from '../../models/eval/evaluate.ts';
import type { Interactions } from '../../models/eval/interactions.ts';
import { METRICS } from '../../models/eval/metrics.ts';
import type { Protocol } from '../../models/eval/split.ts';
import { summarizeSeeds, type ModelSummary } from '../../models/eval/summary.ts';

/** Models judged against the two-tower baseline in the result's references. */
const BASELINES = new Set(['twotower', 'popular', 'itemknn']);

/** The floors for the public sets, by benchmark name. */
const TARGETS: Record<string, { id: string; figure: string; target: string; atLeast: number; value: (s: ModelSummary[], k: number) => number | null }> = {
  'evaluate-ml-100k-random': {
    id: 'ml100k_best_ndcg10',
    figure: 'best model NDCG@10, RecBole protocol, implicit, mean of seeds',
    target: 'at least 0.30 (RecBole BPR 0.2768)',
    atLeast: 0.3,
    value: (s, k) => (k === 10 && s.length ? Math.max(...s.map((m) => m.mean['ndcg@10'] ?? 0)) : null),
  },
  'evaluate-amazon-games-loo': {
    id: 'games_sequence_vs_twotower',
    figure: 'sasrec NDCG@10 / twotower NDCG@10, leave-one-out, mean of seeds',
    target: 'at least 1.3x',
    atLeast: 1.3,
    value: (s) => ratio(s, 'sasrec', 'twotower', 'ndcg@10'),
  },
};

function ratio(s: readonly ModelSummary[], model: string, reference: string, metric: string): number | null {
  const a = s.find((m) => m.model === model)?.mean[metric];
  const b = s.find((m) => m.model === reference)?.mean[metric];
  return a !== undefined && b ? a / b : null;
}

const round = (v: number) => Number(v.toFixed(4));
const nullableRound = (v: number | null) => (v === null ? null : round(v));
const cell = (mean: number, std: number, digits = 4) => `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;

export interface EvaluationRun {
  /** The data set's short name (e.g. ml-100k): the benchmark is `evaluate-<name>-<protocol>`. */
  name: string;
  file: string;
  data: Interactions;
  protocol: Protocol;
  ks: number[];
  seeds: number[];
  /** Per seed, every model's report. */
  runs: ModelReport[][];
  started: number;
  cpuAtStart: CpuTimes | null;
  /** The commit measured, taken at the start: a commit made during a long run must not be credited. */
  git: GitInfo;
  backend: BackendInfo;
  params: Record<string, unknown>;
}

/** `feed evaluate`'s result in the benchmarks' schema: per-model mean ± std over seeds, every seed in `series`. */
export function evaluationResult(run: EvaluationRun): BenchResult {
  const benchmark = `evaluate-${run.name}-${run.protocol}`;
  const summaries = summarizeSeeds(run.runs);
  const k0 = run.ks[0]!;
  const ndcg = `ndcg@${k0}`;
  const seedsNote = `over seeds ${run.seeds.join(',')}`;
  const figures: BenchResult['figures'] = {};
  for (const s of summaries) {
    figures[`${s.model} ${ndcg}`] = { value: round(s.mean[ndcg]!), unit: ndcg, note: `mean ± ${s.std[ndcg]!.toFixed(4)} (sample std) ${seedsNote}` };
    figures[`${s.model} fit`] = { value: round(s.fitSeconds.mean), unit: 's', note: `mean ${seedsNote}` };
    figures[`${s.model} score`] = { value: round(s.scoreSeconds.mean), unit: 's', note: `full ranking of the test users, mean ${seedsNote}` };
  }
  const twoTower = summaries.find((s) => s.model === 'twotower');
  const references: BenchResult['references'] = twoTower
    ? summaries
        .filter((s) => !BASELINES.has(s.model))
        .map((s) => ({
          name: 'twotower',
          description: "today's two-tower (engagement-weighted mean of history rows), same split, seeds and run",
          figure: `${s.model} ${ndcg}`,
          value: round(twoTower.mean[ndcg]!),
          unit: ndcg,
          ratio: nullableRound(ratio(summaries, s.model, 'twotower', ndcg)),
          ratio_meaning: `${s.model} / twotower ${ndcg}, means ${seedsNote}`,
        }))
    : [];
  const spec = TARGETS[benchmark];
  const value = spec?.value(summaries, k0) ?? null;
  const targets: BenchResult['targets'] = spec
    ? [
        {
          id: spec.id,
          figure: spec.figure,
          target: spec.target,
          value: nullableRound(value),
          unit: spec.id.includes('vs') ? 'x' : 'NDCG@10',
          met: value !== null && value >= spec.atLeast,
          margin: value === null ? 'not measured' : `${value >= spec.atLeast ? 'met with' : 'missed by'} ${Math.abs(value - spec.atLeast).toFixed(4)}`,
          applies: run.seeds.length >= 3,
          ...(run.seeds.length < 3 ? { note: 'judged on 3 or more seeds' } : {}),
        },
      ]
    : [];
  const columns = ['model', ...run.ks.flatMap((k) => METRICS.map((m) => `${m}@${k}`)), 'fit s', 'score s'];
  const rows = summaries.map((s) => [
    s.model,
    ...run.ks.flatMap((k) => METRICS.map((m) => cell(s.mean[`${m}@${k}`]!, s.std[`${m}@${k}`]!))),
    cell(s.fitSeconds.mean, s.fitSeconds.std, 1),
    cell(s.scoreSeconds.mean, s.scoreSeconds.std, 1),
  ]);
  const series = run.runs.flatMap((reports, i) =>
    reports.map((r) => ({
      seed: run.seeds[i]!,
      model: r.model,
      fit_s: round(r.fitSeconds),
      score_s: round(r.scoreSeconds),
      [`valid_${ndcg}`]: round(r.valid[ndcg]!),
      epochs: typeof r.info?.epochs === 'number' ? r.info.epochs : null,
      ...Object.fromEntries(Object.entries(r.test).map(([key, v]) => [key, round(v)])),
    })),
  );
  const machine = machineInfo();
  return {
    schema_version: RESULT_SCHEMA_VERSION,
    benchmark,
    smoke: false,
    date: new Date(run.started).toISOString(),
    duration_s: Math.round((Date.now() - run.started) / 100) / 10,
    git: run.git,
    machine: { ...machine, cpu_steal: stealShare(run.cpuAtStart, cpuTimes()) },
    backend: { tfjs: run.backend.name, reason: run.backend.reason },
    repeats: run.seeds.length,
    dataset: {
      file: run.file,
      users: run.data.users.length,
      items: run.data.items.length,
      interactions: run.data.user.length,
      duplicates_dropped: run.data.duplicates,
      weights: run.data.weightColumn ?? 'none (every row an implicit positive)',
    },
    params: { protocol: run.protocol, seeds: run.seeds, ks: run.ks, models: summaries.map((s) => s.model), ...run.params },
    figures,
    references,
    tables: [{ title: `test split, ${run.protocol} protocol, full ranking; mean ± sample std ${seedsNote}`, columns, rows }],
    targets,
    series: { runs: series },
    notes: [
      run.protocol === 'loo'
        ? 'leave-one-out by time: the last event is the test, the one before it validation; the test is predicted from the whole prefix (training + validation), with both excluded from the ranking'
        : "RecBole's per-user random 80/10/10 split; the test is predicted from the training rows, with training and validation items excluded from the ranking",
      `full ranking over all ${run.data.items.length} items; early stopping of trained models on validation ${ndcg}`,
      run.data.weightColumn ? `rows weighted by the ${run.data.weightColumn} column (scaled to mean 1)` : 'every row an implicit positive (no rating or weight column used)',
    ],
  };
}
