import type { Config } from '../config/schema.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { experimentArmSums, interleaveWins, type ArmSumsRow } from '../storage/experiment-report-queries.ts';
import { POSITIVE_KINDS } from '../ingest/event-rules.ts';
import { armLatencies, type ArmLatency } from './latency.ts';
import { METRICS, type MetricDef } from './metrics.ts';
import { compare, interval, ratioEstimate, type Comparison, type RatioSums } from './stats.ts';
import type { Experiment } from './store.ts';

/** Engagement that credits an interleaved entry's team: positive engagement, and a follow. */
const CREDIT_KINDS = [...POSITIVE_KINDS, 'follow'] as const;

interface MetricResult {
  value: number;
  ci: [number, number];
  /** Against the control arm (absent on the control). */
  vs_control?: Comparison;
}

interface ArmReport {
  name: string;
  control: boolean;
  model: string | null;
  overlay: unknown;
  users: number;
  sessions: number;
  impressions: number;
  metrics: Record<string, MetricResult>;
  latency: ArmLatency & { guardrail: 'pass' | 'fail' | 'not measured'; why: string };
}

interface InterleaveReport {
  users: number;
  pages: number;
  /** Pages where one team got more engagement. */
  decided_pages: number;
  wins: Record<string, number>;
  /** Share of decided pages won by the non-control arm; 0.5 = no preference. */
  treatment_win_share: MetricResult & { vs_even: Comparison };
}

export interface ExperimentReport {
  experiment: Pick<Experiment, 'id' | 'description' | 'mode' | 'status' | 'control' | 'started_at' | 'stopped_at' | 'conclusion'>;
  window: { from: string; to: string };
  confidence: number;
  arms: ArmReport[];
  interleave?: InterleaveReport;
  /** Where the p99s come from. */
  latency_source: string;
  generated_at: string;
}

/**
 * The experiment's results: per-arm metrics with intervals and sample sizes from ClickHouse,
 * a p99 guardrail per arm from `/metrics` text (`metricsText`; undefined: not measured).
 */
export async function experimentReport(ch: ClickHouseClient, config: Config, e: Experiment, latency: { text: string | undefined; source: string }): Promise<ExperimentReport> {
  const { confidence } = config.experiments;
  const fromS = e.started_at ? Math.floor(Date.parse(e.started_at) / 1000) : 0;
  const toS = Math.floor((e.stopped_at ? Date.parse(e.stopped_at) : Date.now()) / 1000) + 60;
  const rows = await experimentArmSums(ch, e, fromS, toS, METRICS);
  const byArm = new Map(rows.map((r) => [String(r.arm), r]));
  const num = (r: ArmSumsRow | undefined, k: string) => Number(r?.[k] ?? 0);
  const sums = (r: ArmSumsRow | undefined, m: MetricDef): RatioSums => ({
    n: num(r, 'n'),
    sx: num(r, `${m.name}_sx`),
    sxx: num(r, `${m.name}_sxx`),
    sxy: num(r, `${m.name}_sxy`),
    sy: num(r, `${m.den}_sy`),
    syy: num(r, `${m.den}_syy`),
  });
  const scaled = (est: { value: number; se: number }, s: number) => ({ value: est.value * s, se: est.se * s });
  const controlRow = byArm.get(e.control);
  const lat = latency.text === undefined ? undefined : armLatencies(latency.text, e.id);
  const controlP99 = lat?.get(e.control)?.p99_ms ?? null;

  const arms: ArmReport[] = e.arms.map((arm) => {
    const r = byArm.get(arm.name);
    const metrics: Record<string, MetricResult> = {};
    for (const m of METRICS) {
      const est = scaled(ratioEstimate(sums(r, m)), m.scale);
      const result: MetricResult = { value: est.value, ci: interval(est, confidence) };
      if (arm.name !== e.control) result.vs_control = compare(est, scaled(ratioEstimate(sums(controlRow, m)), m.scale), confidence);
      metrics[m.name] = result;
    }
    const l = lat?.get(arm.name) ?? { requests: 0, p99_ms: null };
    return {
      name: arm.name,
      control: arm.name === e.control,
      model: arm.model ?? null,
      overlay: arm.overlay ?? null,
      users: num(r, 'n'),
      sessions: num(r, 'sessions_sy'),
      impressions: num(r, 'impressions_sy'),
      metrics,
      latency: { ...l, ...guardrail(config, e, arm.name, l.p99_ms, controlP99, lat !== undefined) },
    };
  });

  const report: ExperimentReport = {
    experiment: {
      id: e.id,
      description: e.description,
      mode: e.mode,
      status: e.status,
      control: e.control,
      started_at: e.started_at,
      stopped_at: e.stopped_at,
      conclusion: e.conclusion,
    },
    window: { from: new Date(fromS * 1000).toISOString(), to: new Date(toS * 1000).toISOString() },
    confidence,
    arms,
    latency_source: latency.source,
    generated_at: new Date().toISOString(),
  };
  if (e.mode === 'interleave') report.interleave = await interleaveReport(ch, e, confidence);
  return report;
}

function guardrail(config: Config, e: Experiment, arm: string, p99: number | null, controlP99: number | null, measured: boolean): { guardrail: ArmReport['latency']['guardrail']; why: string } {
  const { p99MaxRatio, p99MinExcessMs } = config.experiments;
  if (e.mode === 'interleave') return { guardrail: 'not measured', why: 'interleaved pages run both arms; latency is recorded under arm "interleaved"' };
  if (!measured) return { guardrail: 'not measured', why: "the engine's /metrics could not be read" };
  if (arm === e.control) return { guardrail: p99 === null ? 'not measured' : 'pass', why: 'control: the reference' };
  if (p99 === null || controlP99 === null) return { guardrail: 'not measured', why: 'no requests recorded for this arm or the control' };
  const limit = Math.max(controlP99 * p99MaxRatio, controlP99 + p99MinExcessMs);
  return { guardrail: p99 <= limit ? 'pass' : 'fail', why: `p99 ${p99.toFixed(1)} ms against a limit of ${limit.toFixed(1)} ms (control ${controlP99.toFixed(1)} ms)` };
}

async function interleaveReport(ch: ClickHouseClient, e: Experiment, confidence: number): Promise<InterleaveReport> {
  const [a, b] = e.arms as [Experiment['arms'][0], Experiment['arms'][0]];
  const rows = await interleaveWins(ch, e.id, a.name, b.name, CREDIT_KINDS);
  // Orient as treatment wins over decided pages, clustered by user (the delta method again).
  const treatmentIsB = e.control === a.name;
  const s: RatioSums = { n: rows.length, sx: 0, sy: 0, sxx: 0, syy: 0, sxy: 0 };
  let pages = 0;
  const wins = { [a.name]: 0, [b.name]: 0 };
  for (const r of rows) {
    const wa = Number(r.wins_a);
    const wb = Number(r.wins_b);
    const x = treatmentIsB ? wb : wa;
    const y = wa + wb;
    s.sx += x;
    s.sy += y;
    s.sxx += x * x;
    s.syy += y * y;
    s.sxy += x * y;
    pages += Number(r.pages);
    wins[a.name]! += wa;
    wins[b.name]! += wb;
  }
  const est = ratioEstimate(s);
  return {
    users: rows.length,
    pages,
    decided_pages: s.sy,
    wins,
    treatment_win_share: { value: est.value, ci: interval(est, confidence), vs_even: compare(est, { value: 0.5, se: 0 }, confidence) },
  };
}
