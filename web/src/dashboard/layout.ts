/** Pure layout decisions for the dashboard's charts (unit-tested). */

export type Cell = string | number | boolean | null;
const isNum = (v: Cell | undefined) => typeof v === 'number' || v === null;
const varies = (values: Cell[]) => new Set(values).size > 1;
/** Verdict-like columns (yes / no / -) label nothing. */
const isVerdict = (values: Cell[]) => values.every((v) => v === null || ['yes', 'no', '-', '', true, false].includes(v as string | boolean));

/**
 * Row labels for a table: its descriptive (text) columns joined, plus a leading numeric column
 * such as a size when it varies; the remaining numeric columns are charted.
 */
export function tableLayout(columns: string[], rows: Cell[][]): { labels: string[]; charted: { name: string; i: number }[] } {
  const col = (i: number) => rows.map((r) => r[i] ?? null);
  const text = columns.map((_, i) => i).filter((i) => !col(i).every(isNum) && !isVerdict(col(i)));
  const leadingSize = isNum(rows[0]?.[0]) && col(0).every(isNum) && varies(col(0)) ? [0] : [];
  const labelCols = [...leadingSize, ...text];
  const labels = rows.map((r, n) => {
    const parts = labelCols.map((i) => r[i]).filter((v) => v !== null && v !== '' && v !== '-');
    return parts.length ? parts.join(' ') : `#${n + 1}`;
  });
  const charted = columns
    .map((name, i) => ({ name, i }))
    .filter(({ i }) => !labelCols.includes(i) && rows.length > 0 && col(i).every(isNum) && col(i).some((v) => v !== null) && !(i === 0 && !varies(col(0))));
  return { labels, charted };
}

/** Bucket starts (epoch seconds, UTC multiples like the server's) covering the window, so quiet buckets show as zeros. */
export function timeAxis(present: number[], windowMinutes: number, bucketMinutes: number, nowS: number): number[] {
  const all = new Set(present);
  const step = bucketMinutes * 60;
  const last = Math.floor(nowS / step) * step;
  for (let t = last; t > nowS - windowMinutes * 60; t -= step) all.add(t);
  return [...all].sort((a, b) => a - b);
}
