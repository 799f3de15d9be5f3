import type { RatioColumn } from '../storage/experiment-report-queries.ts';

/** The report's metrics, apart from the SQL so the dashboard can name them too. */

/** A per-user ratio metric: Σ numerator / Σ denominator over the arm's users, times `scale`. */
export interface MetricDef {
  name: string;
  label: string;
  num: RatioColumn['num'];
  den: RatioColumn['den'];
  scale: number;
}

/** Numerators and denominators are per-user columns of the report's SQL (storage/experiment-report-queries.ts). */
export const METRICS: readonly MetricDef[] = [
  { name: 'watch_s_per_session', label: 'watch s / session', num: 'watch_s', den: 'sessions', scale: 1 },
  { name: 'completion_rate', label: 'completions / impression', num: 'completes', den: 'impressions', scale: 1 },
  { name: 'likes_per_1k', label: 'likes / 1k impressions', num: 'likes', den: 'impressions', scale: 1000 },
  { name: 'shares_per_1k', label: 'shares / 1k impressions', num: 'shares', den: 'impressions', scale: 1000 },
  { name: 'follows_per_1k', label: 'follows / 1k impressions', num: 'follows', den: 'impressions', scale: 1000 },
  { name: 'purchases_per_1k', label: 'purchases / 1k impressions', num: 'purchases', den: 'impressions', scale: 1000 },
  { name: 'gmv_per_1k', label: 'GMV / 1k impressions', num: 'gmv', den: 'impressions', scale: 1000 },
];
