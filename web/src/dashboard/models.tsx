import { useEffect, useState } from 'preact/hooks';
import type { ModelsView } from '../../../feed-api/routes/dashboard.ts';
import { api } from '../shared/api.ts';
import { ChartBox, PALETTE } from './chart.tsx';

const metricValue = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString() : Number(v.toPrecision(4)).toString());

/** Metrics worth a column: the ones most versions report, at most `max`. */
function commonMetrics(view: ModelsView, max: number): string[] {
  const counts = new Map<string, number>();
  for (const v of view.versions) for (const k of Object.keys(v.metrics)) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([k]) => k);
}

/** The model registry: versions with offline metrics, the promoted one, promote / rollback. */
export function Models(props: { adminKey: string }) {
  const [view, setView] = useState<ModelsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const call = async (path: string, post = false, body?: unknown) => {
    setBusy(true);
    try {
      setView(await api<ModelsView>(path, { key: props.adminKey, ...(post ? { method: 'POST' as const, body: body ?? {} } : {}) }));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void call('/v1/admin/dashboard/models'), [props.adminKey]);

  const metrics = view ? commonMetrics(view, 6) : [];
  // Oldest to newest reads naturally on a chart.
  const chronological = view ? [...view.versions].reverse() : [];
  return (
    <section class="models" data-testid="models">
      <h2>Models</h2>
      {error ? <p class="error">{error}</p> : null}
      {view && view.versions.length === 0 ? (
        <p class="muted">
          No model versions yet: train one with <code>node bin/feed.js train</code>. Until one is promoted the feed scores with the heuristic fallback.
        </p>
      ) : null}
      {view && view.versions.length > 0 ? (
        <div class="grid">
          <div class="panel wide">
            <p class="muted small">
              Serving: <code>{view.promoted ?? 'none (heuristic scorer)'}</code>
              {view.rollback_to ? (
                <>
                  {' '}
                  · rollback restores <code>{view.rollback_to}</code>{' '}
                  <button type="button" disabled={busy} onClick={() => void call('/v1/admin/dashboard/models/rollback', true)} data-testid="rollback">
                    Roll back
                  </button>
                </>
              ) : null}
            </p>
            <div class="scroll-x">
              <table>
                <thead>
                  <tr>
                    <th>version</th>
                    <th>created</th>
                    <th>models</th>
                    <th>events</th>
                    {metrics.map((m) => (
                      <th key={m}>{m}</th>
                    ))}
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {view.versions.map((v) => (
                    <tr key={v.version} class={v.promoted ? 'promoted' : ''} data-testid="model-row">
                      <td>
                        <code>{v.version}</code> {v.promoted ? <span class="tag ok">serving</span> : null}
                      </td>
                      <td>{new Date(v.created_at).toLocaleString()}</td>
                      <td>{v.models.join(', ')}</td>
                      <td>{v.events.toLocaleString()}</td>
                      {metrics.map((m) => (
                        <td key={m}>{v.metrics[m] === undefined ? '—' : metricValue(v.metrics[m]!)}</td>
                      ))}
                      <td>
                        {v.promoted ? null : (
                          <button type="button" disabled={busy} onClick={() => void call('/v1/admin/dashboard/models/promote', true, { version: v.version })}>
                            Promote
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          {metrics.slice(0, 3).map((m, i) => (
            <div class="panel" key={m}>
              <h3>{m}</h3>
              <ChartBox
                type="bar"
                height={180}
                data={{
                  labels: chronological.map((v) => v.version.slice(1, 16)),
                  datasets: [
                    {
                      label: m,
                      data: chronological.map((v) => v.metrics[m] ?? null) as number[],
                      backgroundColor: chronological.map((v) => (v.promoted ? PALETTE[0] : PALETTE[(i + 1) % PALETTE.length])),
                    },
                  ],
                }}
                options={{ plugins: { legend: { display: false } } }}
              />
            </div>
          ))}
        </div>
      ) : null}
    </section>
  );
}
