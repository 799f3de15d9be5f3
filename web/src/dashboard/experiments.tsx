import { useEffect, useState } from 'preact/hooks';
import { METRICS } from '../../../experiments/metrics.ts';
import type { ExperimentReport } from '../../../experiments/report.ts';
import type { Experiment } from '../../../experiments/store.ts';
import { api } from '../shared/api.ts';

const REFRESH_MS = 10_000;
const fmt = (v: number) => (!Number.isFinite(v) ? '—' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString() : Number(v.toPrecision(3)).toString());
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%` : '—');

/** The experiment to show: the running one, else the newest that has run. */
function featured(list: Experiment[]): Experiment | undefined {
  return list.find((e) => e.status === 'running') ?? [...list].reverse().find((e) => e.started_at !== null);
}

/** Experiments: the running (or latest) experiment's arms with metrics, intervals, significance and the p99 guardrail. */
export function Experiments(props: { adminKey: string }) {
  const [list, setList] = useState<Experiment[] | null>(null);
  const [report, setReport] = useState<ExperimentReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const load = async () => {
      try {
        const { experiments } = await api<{ experiments: Experiment[] }>('/v1/admin/experiments', { key: props.adminKey });
        setList(experiments);
        const shown = featured(experiments);
        setReport(shown ? await api<ExperimentReport>(`/v1/admin/experiments/${shown.id}/report`, { key: props.adminKey }) : null);
        setError(null);
      } catch (err) {
        setError((err as Error).message);
      }
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [props.adminKey]);

  return (
    <section data-testid="experiments">
      <h2>Experiments</h2>
      {error ? <p class="error">{error}</p> : null}
      {list && list.length === 0 ? (
        <p class="muted">
          No experiments yet: <code>node bin/feed.js experiments create --file spec.json</code>, then <code>experiments start</code>.
        </p>
      ) : null}
      {report ? (
        <div class="panel wide">
          <p class="muted small">
            <code>{report.experiment.id}</code> <span class={`tag ${report.experiment.status === 'running' ? 'ok' : 'warn'}`}>{report.experiment.status}</span> ·{' '}
            {report.experiment.mode === 'ab' ? 'A/B by user' : 'team-draft interleaving'} · control <code>{report.experiment.control}</code> · since {report.window.from.slice(0, 16).replace('T', ' ')}{' '}
            UTC · {Math.round(report.confidence * 100)}% intervals, * significant
          </p>
          <div class="scroll-x">
            <table>
              <thead>
                <tr>
                  <th>arm</th>
                  <th>users</th>
                  <th>impressions</th>
                  {METRICS.map((m) => (
                    <th key={m.name}>{m.label}</th>
                  ))}
                  <th>p99</th>
                </tr>
              </thead>
              <tbody>
                {report.arms.map((a) => (
                  <tr key={a.name} data-testid="experiment-arm" data-arm={a.name}>
                    <td>
                      <code>{a.name}</code> {a.control ? <span class="tag ok">control</span> : null}
                      <div class="muted small">
                        {a.model ?? 'promoted model'}
                        {a.overlay ? ' + overlay' : ''}
                      </div>
                    </td>
                    <td>{a.users.toLocaleString()}</td>
                    <td>{a.impressions.toLocaleString()}</td>
                    {METRICS.map((m) => {
                      const v = a.metrics[m.name]!;
                      const d = v.vs_control;
                      return (
                        <td key={m.name} title={`${Math.round(report.confidence * 100)}% interval ${fmt(v.ci[0])} .. ${fmt(v.ci[1])}`}>
                          {fmt(v.value)}
                          {d ? (
                            <div class={`small ${d.significant ? (d.diff > 0 ? 'up' : 'down') : 'muted'}`}>
                              {signed(d.relative)} p={Number.isFinite(d.p) ? d.p.toFixed(3) : '—'}
                              {d.significant ? ' *' : ''}
                            </div>
                          ) : null}
                        </td>
                      );
                    })}
                    <td title={a.latency.why}>
                      {a.latency.p99_ms === null ? '—' : `${a.latency.p99_ms.toFixed(1)} ms`}
                      <div class={`small ${a.latency.guardrail === 'fail' ? 'down' : 'muted'}`}>{a.latency.guardrail}</div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {report.interleave ? (
            <p class="small" data-testid="interleave">
              Interleaving: {report.interleave.decided_pages.toLocaleString()} of {report.interleave.pages.toLocaleString()} pages decided; wins{' '}
              {Object.entries(report.interleave.wins)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}
              ; treatment win share {fmt(report.interleave.treatment_win_share.value)} [{fmt(report.interleave.treatment_win_share.ci[0])}, {fmt(report.interleave.treatment_win_share.ci[1])}]
              {report.interleave.treatment_win_share.vs_even.significant ? ' *' : ''}
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
