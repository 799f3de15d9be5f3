/** Series -> value of the Prometheus text lines starting with `prefix`. */
function series(text: string, prefix: string): Map<string, number> {
  const lines = text.split('\n').filter((l) => l.startsWith(prefix));
  return new Map(lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
}

/**
 * The series starting with `prefix` that changed between two scrapes, by how much. Metrics are
 * process-wide and unit test files share their process (isolate: false), so a test that reads a
 * metric reads what it changed: a value or a series alone could come from another file.
 */
export function metricDelta(before: string, after: string, prefix: string): Record<string, number> {
  const was = series(before, prefix);
  const changed: Record<string, number> = {};
  for (const [key, value] of series(after, prefix)) if (value !== (was.get(key) ?? 0)) changed[key] = value - (was.get(key) ?? 0);
  return changed;
}
