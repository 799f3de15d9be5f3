/** Mean milliseconds per ranker stage from the Prometheus text of feed_stage_duration_seconds. */
export function stageBreakdown(metricsText: string): Record<string, number> {
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  const re = /^feed_stage_duration_seconds_(sum|count)\{([^}]*)\}\s+([0-9.eE+-]+)$/gm;
  for (const m of metricsText.matchAll(re)) {
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    const key = `${labels.kind ?? '?'}:${labels.stage ?? '?'}`;
    (m[1] === 'sum' ? sums : counts).set(key, Number(m[3]));
  }
  const out: Record<string, number> = {};
  for (const [key, sum] of sums) {
    const n = counts.get(key) ?? 0;
    if (n > 0) out[key] = (sum / n) * 1000;
  }
  return out;
}

/** The value of an unlabelled counter (summed over its series) in Prometheus text; 0 when absent. */
export function counterValue(metricsText: string, name: string): number {
  let total = 0;
  for (const m of metricsText.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)$`, 'gm'))) total += Number(m[1]);
  return total;
}
