import { formatTable, type BenchTable } from '../core/table.ts';
import { METRICS } from './metrics.ts';
import type { ExperimentReport } from './report.ts';

const num = (v: number) => (!Number.isFinite(v) ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4));
const pct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%` : '-');

/** One column per arm: value [interval], and on the other arms the relative difference to the control, its p-value and * when significant. */
export function reportTable(r: ExperimentReport): BenchTable {
  const e = r.experiment;
  const rows: (string | number | null)[][] = [
    ['users', ...r.arms.map((a) => a.users)],
    ['sessions', ...r.arms.map((a) => a.sessions)],
    ['impressions', ...r.arms.map((a) => a.impressions)],
  ];
  for (const m of METRICS) {
    rows.push([
      m.label,
      ...r.arms.map((a) => {
        const v = a.metrics[m.name]!;
        const base = `${num(v.value)} [${num(v.ci[0])}, ${num(v.ci[1])}]`;
        const d = v.vs_control;
        return d ? `${base} ${pct(d.relative)} p=${Number.isFinite(d.p) ? d.p.toFixed(3) : '-'}${d.significant ? ' *' : ''}` : base;
      }),
    ]);
  }
  rows.push(['feed p99 ms', ...r.arms.map((a) => (a.latency.p99_ms === null ? null : Number(a.latency.p99_ms.toFixed(1))))]);
  rows.push(['p99 guardrail', ...r.arms.map((a) => a.latency.guardrail)]);
  return {
    title: `experiment ${e.id} (${e.mode}, ${e.status}; control ${e.control}) window ${r.window.from} .. ${r.window.to}, ${Math.round(r.confidence * 100)}% intervals`,
    columns: ['metric', ...r.arms.map((a) => (a.control ? `${a.name} (control)` : a.name))],
    rows,
  };
}

/** The report as text: the per-arm table, what the marks mean, and the interleaving outcome. */
export function formatReport(r: ExperimentReport): string {
  const parts = [formatTable(reportTable(r))];
  parts.push(`* significant at the report's confidence (delta method over users); p99 from ${r.latency_source}`);
  if (r.interleave) {
    const i = r.interleave;
    const s = i.treatment_win_share;
    parts.push(
      `interleaving: ${i.pages} pages from ${i.users} users, ${i.decided_pages} decided; wins ${Object.entries(i.wins)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; ` + `treatment win share ${num(s.value)} [${num(s.ci[0])}, ${num(s.ci[1])}] p=${Number.isFinite(s.vs_even.p) ? s.vs_even.p.toFixed(3) : '-'}${s.vs_even.significant ? ' *' : ''}`,
    );
  }
  return parts.join('\n');
}

/** Per-arm figures as flat records (a benchmark result's series): value, relative difference and p-value per metric. */
export function armSeries(r: ExperimentReport): Record<string, string | number | null>[] {
  return r.arms.map((a) => {
    const row: Record<string, string | number | null> = { arm: a.name, control: a.control ? 1 : 0, users: a.users, sessions: a.sessions, impressions: a.impressions, p99_ms: a.latency.p99_ms };
    for (const m of METRICS) {
      const v = a.metrics[m.name]!;
      row[m.name] = Number.isFinite(v.value) ? v.value : null;
      if (v.vs_control) {
        row[`${m.name}_relative`] = Number.isFinite(v.vs_control.relative) ? v.vs_control.relative : null;
        row[`${m.name}_p`] = Number.isFinite(v.vs_control.p) ? v.vs_control.p : null;
      }
    }
    return row;
  });
}
