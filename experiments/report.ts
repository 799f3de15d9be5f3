import type { Config } from '../config/schema.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { queryRows, type SqlFragment, type SqlValue } from '../storage/sql.ts';
import { armLatencies, type ArmLatency } from './latency.ts';
import { METRICS, type MetricDef } from './metrics.ts';
import { compare, interval, ratioEstimate, type Comparison, type RatioSums } from './stats.ts';
import type { Experiment } from './store.ts';

/** The per-user numerators and denominators the metrics read (besides sessions), named `${prefix}watch_s`... */
const NUMERATORS = ['watch_s', 'impressions', 'completes', 'likes', 'shares', 'follows', 'purchases', 'gmv'] as const;
const eventAggregates = (prefix: string) => `
  sumIf(watch_ms, kind = 'play') / 1000 AS ${prefix}watch_s, countIf(kind = 'impression') AS ${prefix}impressions,
  countIf(kind = 'complete') AS ${prefix}completes, countIf(kind = 'like') AS ${prefix}likes, countIf(kind = 'share') AS ${prefix}shares,
  countIf(kind = 'follow') AS ${prefix}follows, countIf(kind = 'purchase') AS ${prefix}purchases, sumIf(price * quantity, kind = 'purchase') AS ${prefix}gmv`;

/** The entry an event names, as experiment_exposures.entry_key does. */
const ENTRY_KEY = `if(item_id != '', item_id, if(product_id != '', product_id, live_id))`;

/** Engagement that credits an interleaved entry's team. */
const CREDIT_KINDS = ['complete', 'like', 'share', 'follow', 'add_to_cart', 'purchase'];

/** A fragment from text with `$` where values go (the generated column lists hold no `$`). */
function fragment(text: string, values: SqlValue[]): SqlFragment {
  const strings = text.split('$');
  if (strings.length !== values.length + 1) throw new Error(`report SQL has ${strings.length - 1} placeholders for ${values.length} values`);
  return { strings, values };
}

const sumsOf = (m: MetricDef) => `sum(${m.num}) AS ${m.name}_sx, sum(${m.num} * ${m.num}) AS ${m.name}_sxx, sum(${m.num} * ${m.den}) AS ${m.name}_sxy`;
const DENS = ['sessions', 'impressions'] as const;

/**
 * A/B per arm, in one query: users are assigned by hash, so each exposed user belongs to one
 * arm and every event of theirs inside the window (with the experiment's request_id or
 * without one) counts for it. ClickHouse returns per-arm sums over users; the ratios and
 * their delta-method intervals are computed from them.
 */
const ARM_SUMS = `arm, count() AS n, ${DENS.map((d) => `sum(${d}) AS ${d}_sy, sum(${d} * ${d}) AS ${d}_syy`).join(', ')},
  ${METRICS.map(sumsOf).join(',\n  ')}`;

const AB_SQL = `
SELECT ${ARM_SUMS}
FROM (
  SELECT user_id, any(arm) AS arm, uniqExact(session_id) AS sessions
  FROM experiment_exposures WHERE experiment_id = $ GROUP BY user_id
) ANY LEFT JOIN (
  SELECT user_id, ${eventAggregates('')}
  FROM events
  WHERE ts >= toDateTime($) AND ts <= toDateTime($)
    AND user_id IN (SELECT user_id FROM experiment_exposures WHERE experiment_id = $)
  GROUP BY user_id
) USING user_id
GROUP BY arm`;

/**
 * Interleaving per arm: an event counts for the team whose entry it names (request_id and
 * entry), so each user has a row per arm, both over the same sessions. The per-arm sums have
 * the A/B shape; the comparison treats the arms as independent, which overstates the variance
 * of paired rows (a conservative test).
 */
const INTERLEAVE_ARMS_SQL = `
SELECT ${ARM_SUMS}
FROM (
  SELECT user_id, arm, uniqExact(session_id) AS sessions, ${NUMERATORS.map((n) => `sum(e_${n}) AS ${n}`).join(', ')}
  FROM (
    SELECT request_id, entry_key, any(user_id) AS user_id, any(arm) AS arm, any(session_id) AS session_id
    FROM experiment_exposures WHERE experiment_id = $ GROUP BY request_id, entry_key
  ) ANY LEFT JOIN (
    SELECT request_id, ${ENTRY_KEY} AS entry_key, ${eventAggregates('e_')}
    FROM events
    WHERE request_id IN (SELECT request_id FROM experiment_exposures WHERE experiment_id = $)
    GROUP BY request_id, entry_key
  ) USING (request_id, entry_key)
  GROUP BY user_id, arm
)
GROUP BY arm`;

/**
 * Interleaving per user: each page is won by the team whose entries got more engagement
 * (CREDIT_KINDS, joined by request_id and entry); per user, pages won by each arm.
 */
const INTERLEAVE_SQL = `
SELECT user_id, countIf(ca > cb) AS wins_a, countIf(cb > ca) AS wins_b, count() AS pages
FROM (
  SELECT request_id, any(user_id) AS user_id, sumIf(c, arm = $) AS ca, sumIf(c, arm = $) AS cb
  FROM (
    SELECT request_id, entry_key, any(user_id) AS user_id, any(arm) AS arm
    FROM experiment_exposures WHERE experiment_id = $ GROUP BY request_id, entry_key
  ) ANY LEFT JOIN (
    SELECT request_id, ${ENTRY_KEY} AS entry_key, count() AS c
    FROM events
    WHERE has($, kind) AND request_id IN (SELECT request_id FROM experiment_exposures WHERE experiment_id = $)
    GROUP BY request_id, entry_key
  ) USING (request_id, entry_key)
  GROUP BY request_id
) GROUP BY user_id`;

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

type AbRow = Record<string, string | number>;

/**
 * The experiment's results: per-arm metrics with intervals and sample sizes from ClickHouse,
 * a p99 guardrail per arm from `/metrics` text (`metricsText`; undefined: not measured).
 */
export async function experimentReport(ch: ClickHouseClient, config: Config, e: Experiment, latency: { text: string | undefined; source: string }): Promise<ExperimentReport> {
  const { confidence } = config.experiments;
  const fromS = e.started_at ? Math.floor(Date.parse(e.started_at) / 1000) : 0;
  const toS = Math.floor((e.stopped_at ? Date.parse(e.stopped_at) : Date.now()) / 1000) + 60;
  const rows = await queryRows<AbRow>(ch, e.mode === 'interleave' ? fragment(INTERLEAVE_ARMS_SQL, [e.id, e.id]) : fragment(AB_SQL, [e.id, fromS, toS, e.id]));
  const byArm = new Map(rows.map((r) => [String(r.arm), r]));
  const num = (r: AbRow | undefined, k: string) => Number(r?.[k] ?? 0);
  const sums = (r: AbRow | undefined, m: MetricDef): RatioSums => ({
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
  const rows = await queryRows<{ user_id: string; wins_a: string; wins_b: string; pages: string }>(ch, fragment(INTERLEAVE_SQL, [a.name, b.name, e.id, CREDIT_KINDS, e.id]));
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
