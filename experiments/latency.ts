import { ARM_LATENCY_METRIC } from './router.ts';

export interface ArmLatency {
  requests: number;
  /** Interpolated within the histogram bucket that holds it; null without requests. */
  p99_ms: number | null;
}

/**
 * p99 feed latency per arm of `experimentId` from Prometheus text (GET /metrics): the
 * cumulative `le` buckets of feed_experiment_request_seconds, interpolated linearly.
 */
export function armLatencies(metricsText: string, experimentId: string): Map<string, ArmLatency> {
  const buckets = new Map<string, { le: number; count: number }[]>();
  const prefix = `${ARM_LATENCY_METRIC}_bucket{`;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    const labels = Object.fromEntries([...line.slice(prefix.length, close).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (labels.experiment !== experimentId || labels.arm === undefined || labels.le === undefined) continue;
    const list = buckets.get(labels.arm) ?? [];
    list.push({ le: labels.le === '+Inf' ? Infinity : Number(labels.le), count: Number(line.slice(close + 1)) });
    buckets.set(labels.arm, list);
  }
  const out = new Map<string, ArmLatency>();
  for (const [arm, list] of buckets) {
    list.sort((a, b) => a.le - b.le);
    const total = list[list.length - 1]?.count ?? 0;
    out.set(arm, { requests: total, p99_ms: total > 0 ? quantile(list, total, 0.99) * 1000 : null });
  }
  return out;
}

function quantile(list: { le: number; count: number }[], total: number, q: number): number {
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const { le, count } of list) {
    if (count >= rank) {
      // The open last bucket has no upper edge: report its lower one.
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
