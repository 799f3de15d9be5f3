/** A table of figures: printed on stdout and kept in the JSON result. */
export interface BenchTable {
  title: string;
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

function cell(v: string | number | boolean | null): string {
  if (v === null) return '-';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(3)));
  }
  return String(v);
}

/** Plain-text table with right-aligned numbers. */
export function formatTable(t: BenchTable): string {
  const cells = t.rows.map((r) => r.map(cell));
  const widths = t.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = t.columns.map((_, i) => t.rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [t.title, line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Markdown version for benchmarks/README.md. */
export function markdownTable(columns: string[], rows: (string | number | boolean | null)[][]): string {
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map((v) => cell(v).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
}
