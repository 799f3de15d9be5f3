import type { ClickHouseClient } from './clickhouse.ts';
import { queryRows, type SqlFragment, type SqlValue } from './sql.ts';

/**
 * The experiment report's queries (experiments/report.ts computes the statistics). Callers name
 * the ratio metrics as data: each `num` is one of the per-user columns below (`NUMERATORS`).
 */
export interface RatioColumn {
  name: string;
  num: (typeof NUMERATORS)[number];
  den: (typeof DENOMINATORS)[number];
}

/** One arm's sums over its users: `n`, `<den>_sy`/`_syy` per denominator, `<metric>_sx`/`_sxx`/`_sxy` per metric. */
export type ArmSumsRow = Record<string, string | number>;

/** The per-user denominators. */
const DENOMINATORS = ['sessions', 'impressions'] as const;
/** The per-user numerators the metrics read (besides sessions), named `${prefix}watch_s`... */
const NUMERATORS = ['watch_s', 'impressions', 'completes', 'likes', 'shares', 'follows', 'purchases', 'gmv'] as const;
const eventAggregates = (prefix: string) => `
  sumIf(watch_ms, kind = 'play') / 1000 AS ${prefix}watch_s, countIf(kind = 'impression') AS ${prefix}impressions,
  countIf(kind = 'complete') AS ${prefix}completes, countIf(kind = 'like') AS ${prefix}likes, countIf(kind = 'share') AS ${prefix}shares,
  countIf(kind = 'follow') AS ${prefix}follows, countIf(kind = 'purchase') AS ${prefix}purchases, sumIf(price * quantity, kind = 'purchase') AS ${prefix}gmv`;

/** The entry an event names, as experiment_exposures.entry_key does. */
const ENTRY_KEY = `if(item_id != '', item_id, if(product_id != '', product_id, live_id))`;

/** A fragment from text with `$` where values go (the generated column lists hold no `$`). */
function fragment(text: string, values: SqlValue[]): SqlFragment {
  const strings = text.split('$');
  if (strings.length !== values.length + 1) throw new Error(`report SQL has ${strings.length - 1} placeholders for ${values.length} values`);
  return { strings, values };
}

const sumsOf = (m: RatioColumn) => `sum(${m.num}) AS ${m.name}_sx, sum(${m.num} * ${m.num}) AS ${m.name}_sxx, sum(${m.num} * ${m.den}) AS ${m.name}_sxy`;

/**
 * A/B per arm, in one query: users are assigned by hash, so each exposed user belongs to one
 * arm and every event of theirs inside the window (with the experiment's request_id or
 * without one) counts for it. ClickHouse returns per-arm sums over users; the ratios and
 * their delta-method intervals are computed from them.
 */
const armSums = (metrics: readonly RatioColumn[]) => `arm, count() AS n, ${DENOMINATORS.map((d) => `sum(${d}) AS ${d}_sy, sum(${d} * ${d}) AS ${d}_syy`).join(', ')},
  ${metrics.map(sumsOf).join(',\n  ')}`;

const abSql = (metrics: readonly RatioColumn[]) => `
SELECT ${armSums(metrics)}
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
const interleaveArmsSql = (metrics: readonly RatioColumn[]) => `
SELECT ${armSums(metrics)}
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
 * (the credited kinds, joined by request_id and entry); per user, pages won by each arm.
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

/** Per-arm sums of an A/B experiment's users over [fromS, toS], or of an interleaved one's teams. */
export function experimentArmSums(ch: ClickHouseClient, e: { id: string; mode: string }, fromS: number, toS: number, metrics: readonly RatioColumn[]): Promise<ArmSumsRow[]> {
  return queryRows<ArmSumsRow>(ch, e.mode === 'interleave' ? fragment(interleaveArmsSql(metrics), [e.id, e.id]) : fragment(abSql(metrics), [e.id, fromS, toS, e.id]));
}

/** Per user of an interleaved experiment, pages won by arm `a` and by arm `b` (engagement of `creditKinds`). */
export function interleaveWins(ch: ClickHouseClient, id: string, a: string, b: string, creditKinds: readonly string[]): Promise<{ user_id: string; wins_a: string; wins_b: string; pages: string }[]> {
  return queryRows(ch, fragment(INTERLEAVE_SQL, [a, b, id, creditKinds, id]));
}
