import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { BenchResult } from '../../../benchmarks/harness/result.ts';
import type { LiveFigures } from '../../../feed-api/routes/dashboard.ts';
import { api, ApiRequestError, loadKeys, saveKey } from '../shared/api.ts';
import { KeyForm } from '../shared/key-form.tsx';
import { ChartBox, PALETTE } from './chart.tsx';
import { Experiments } from './experiments.tsx';
import { Models } from './models.tsx';
import { bucketDelta, histogramBuckets, histogramQuantile, parseMetrics, sumBy, type Bucket } from './prom.ts';
import { timeAxis } from './layout.ts';
import { ResultCard } from './results.tsx';
import { SimulatorPanel } from './simulator.tsx';
import '../shared/base.css';
import './dashboard.css';

const WINDOWS = [
  { minutes: 15, label: '15 min' },
  { minutes: 60, label: '1 hour' },
  { minutes: 24 * 60, label: '24 hours' },
  { minutes: 7 * 24 * 60, label: '7 days' },
];
const REFRESH_MS = 5000;
const LATENCY_POINTS = 60;
/** The route whose latency the dashboard charts (feed-api http histogram). */
const FEED_ROUTE = { route: '/v1/feed', method: 'GET' };

interface LatencyPoint {
  t: number;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
}

interface MetricsView {
  latency: LatencyPoint[];
  /** Since this server process started. */
  overall: { p50: number; p99: number; requests: number };
  /** Mean candidates per request, by source. */
  candidates: Map<string, number>;
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;
const ms = (s: number) => (Number.isFinite(s) ? `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms` : '—');
const clock = (epochS: number, bucketMinutes: number) =>
  bucketMinutes >= 24 * 60 ? new Date(epochS * 1000).toLocaleDateString() : new Date(epochS * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function Kpi(props: { label: string; value: string; hint?: string; testid?: string }) {
  return (
    <div class="kpi" data-testid={props.testid} title={props.hint}>
      <span class="muted">{props.label}</span>
      <strong>{props.value}</strong>
    </div>
  );
}

/** Scrapes /metrics every refresh; latency percentiles are over the interval between scrapes. */
function useMetrics(live: boolean): [MetricsView, string | null] {
  const [view, setView] = useState<MetricsView>({ latency: [], overall: { p50: NaN, p99: NaN, requests: 0 }, candidates: new Map() });
  const [error, setError] = useState<string | null>(null);
  const last = useRef<{ buckets: Bucket[]; t: number } | null>(null);
  useEffect(() => {
    const scrape = async () => {
      try {
        const res = await fetch('/metrics');
        if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
        const samples = parseMetrics(await res.text());
        const buckets = histogramBuckets(samples, 'feed_http_request_duration_seconds', FEED_ROUTE);
        const now = Date.now();
        const prev = last.current;
        const window = prev ? bucketDelta(buckets, prev.buckets) : buckets;
        last.current = { buckets, t: now };
        const count = window.at(-1)?.count ?? 0;
        const point: LatencyPoint = {
          t: now,
          p50: histogramQuantile(0.5, window),
          p95: histogramQuantile(0.95, window),
          p99: histogramQuantile(0.99, window),
          rps: prev ? count / ((now - prev.t) / 1000) : NaN,
        };
        const sums = sumBy(samples, 'feed_source_candidates_sum', 'source');
        const counts = sumBy(samples, 'feed_source_candidates_count', 'source');
        const candidates = new Map([...sums].map(([source, sum]) => [source, sum / Math.max(1, counts.get(source) ?? 0)]));
        const overall = { p50: histogramQuantile(0.5, buckets), p99: histogramQuantile(0.99, buckets), requests: buckets.at(-1)?.count ?? 0 };
        setView((v) => ({ latency: [...v.latency, point].slice(-LATENCY_POINTS), overall, candidates }));
        setError(null);
      } catch (err) {
        setError((err as Error).message);
      }
    };
    void scrape();
    if (!live) return;
    const timer = setInterval(scrape, REFRESH_MS);
    return () => clearInterval(timer);
  }, [live]);
  return [view, error];
}

/** A stacked per-minute bar chart of one series of the live figures, largest kinds first. */
function perMinuteChart(figures: LiveFigures, series: LiveFigures['series']) {
  const times = timeAxis(
    series.map((p) => p.t),
    figures.window_minutes,
    figures.bucket_minutes,
    Date.now() / 1000,
  );
  const totals = new Map<string, number>();
  for (const p of series) totals.set(p.kind, (totals.get(p.kind) ?? 0) + p.per_minute);
  const kinds = [...totals.keys()].sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0));
  const at = new Map(series.map((p) => [`${p.kind}@${p.t}`, p.per_minute]));
  return {
    labels: times.map((t) => clock(t, figures.bucket_minutes)),
    datasets: kinds.map((kind, i) => ({
      label: kind,
      data: times.map((t) => at.get(`${kind}@${t}`) ?? 0),
      backgroundColor: PALETTE[i % PALETTE.length],
    })),
  };
}

function Dashboard(props: { adminKey: string; onForgetKey: () => void }) {
  const [minutes, setMinutes] = useState(60);
  const [live, setLive] = useState(true);
  const [figures, setFigures] = useState<LiveFigures | null>(null);
  const [results, setResults] = useState<{ results: BenchResult[]; skipped: { file: string; reason: string }[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [metricsView, metricsError] = useMetrics(live);

  useEffect(() => {
    const load = async () => {
      try {
        setFigures(await api<LiveFigures>(`/v1/admin/dashboard/live?minutes=${minutes}`, { key: props.adminKey }));
        setUpdated(new Date());
        setError(null);
      } catch (err) {
        setError((err as Error).message);
        if (err instanceof ApiRequestError && (err.status === 401 || err.status === 403)) props.onForgetKey();
      }
    };
    void load();
    if (!live) return;
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [minutes, live, props.adminKey]);

  useEffect(() => {
    api<typeof results>('/v1/admin/dashboard/results', { key: props.adminKey })
      .then(setResults)
      .catch((err: Error) => setError(err.message));
  }, [props.adminKey]);

  const eventsChart = useMemo(() => figures && perMinuteChart(figures, figures.series), [figures]);
  const catalogChart = useMemo(() => figures && perMinuteChart(figures, figures.catalog_series), [figures]);

  const sessionsChart = useMemo(
    () =>
      figures && {
        labels: figures.sessions.histogram.map((b, i, all) => {
          const lo = i === 0 ? 0 : (all[i - 1]?.upto_s ?? 0);
          const m = (s: number) => (s >= 60 ? `${s / 60}m` : `${s}s`);
          return b.upto_s == null ? `> ${m(lo)}` : `${m(lo)}–${m(b.upto_s)}`;
        }),
        datasets: [{ label: 'sessions', data: figures.sessions.histogram.map((b) => b.sessions), backgroundColor: PALETTE[1] }],
      },
    [figures],
  );

  const latencyChart = useMemo(() => {
    const pts = metricsView.latency;
    return {
      labels: pts.map((p) => new Date(p.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })),
      datasets: (['p50', 'p95', 'p99'] as const).map((k, i) => ({
        label: `${k} (ms)`,
        data: pts.map((p) => (Number.isFinite(p[k]) ? p[k] * 1000 : null)),
        borderColor: PALETTE[i],
        pointRadius: 2,
        spanGaps: true,
      })),
    };
  }, [metricsView.latency]);

  const candidatesChart = useMemo(() => {
    const entries = [...metricsView.candidates].sort((a, b) => b[1] - a[1]);
    return {
      labels: entries.map(([s]) => s),
      datasets: [{ label: 'candidates per request', data: entries.map(([, v]) => v), backgroundColor: PALETTE[2] }],
    };
  }, [metricsView.candidates]);

  const lastLatency = metricsView.latency.at(-1);
  const t = figures?.totals;
  return (
    <main class="dashboard">
      <header class="top">
        <h1>Feed engine</h1>
        <div class="controls">
          <select value={minutes} onChange={(e) => setMinutes(Number(e.currentTarget.value))} data-testid="window">
            {WINDOWS.map((w) => (
              <option key={w.minutes} value={w.minutes}>
                last {w.label}
              </option>
            ))}
          </select>
          <label>
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> live
          </label>
          <span class="muted" data-testid="updated">
            {updated ? `updated ${updated.toLocaleTimeString()}` : 'loading…'}
          </span>
          <button type="button" class="link" onClick={props.onForgetKey}>
            change key
          </button>
        </div>
      </header>
      {error ? <p class="error banner">{error}</p> : null}
      {metricsError ? <p class="error banner">metrics: {metricsError}</p> : null}

      <section class="kpis">
        <Kpi label="events" value={t ? t.events.toLocaleString() : '—'} testid="kpi-events" />
        <Kpi label="users" value={t ? t.users.toLocaleString() : '—'} />
        <Kpi label="completion rate" value={figures ? pct(figures.rates.completion) : '—'} hint="completions / plays" testid="kpi-completion" />
        <Kpi label="like rate" value={figures ? pct(figures.rates.like) : '—'} hint="likes / impressions" />
        <Kpi label="purchase rate" value={figures ? pct(figures.rates.purchase) : '—'} hint="purchases / impressions" />
        <Kpi label="purchases" value={t ? t.purchases.toLocaleString() : '—'} testid="kpi-purchases" />
        <Kpi label="GMV" value={t ? t.gmv.toLocaleString(undefined, { maximumFractionDigits: 2 }) : '—'} hint="sum of price × quantity over purchases" testid="kpi-gmv" />
        <Kpi
          label="watch / session"
          value={figures ? `${(figures.sessions.watch_ms_mean / 1000).toFixed(1)} s` : '—'}
          hint={figures ? `${figures.sessions.count} sessions; p50 ${(figures.sessions.watch_ms_p50 / 1000).toFixed(1)} s, p90 ${(figures.sessions.watch_ms_p90 / 1000).toFixed(1)} s` : ''}
        />
        <Kpi
          label="feed p50 / p99"
          value={`${ms(metricsView.overall.p50)} / ${ms(metricsView.overall.p99)}`}
          hint={`${metricsView.overall.requests} feed requests since this server started`}
          testid="kpi-latency"
        />
        <Kpi label="feed req/s" value={lastLatency && Number.isFinite(lastLatency.rps) ? lastLatency.rps.toFixed(1) : '—'} />
      </section>

      <section class="grid">
        <div class="panel wide">
          <h3>Events per minute by kind</h3>
          {eventsChart ? (
            <ChartBox
              type="bar"
              data={eventsChart}
              testid="chart-events"
              height={260}
              options={{ scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'events / minute' } } } }}
            />
          ) : null}
        </div>
        <div class="panel wide">
          <h3>Catalog writes per minute</h3>
          {catalogChart ? (
            <ChartBox
              type="bar"
              data={catalogChart}
              testid="chart-catalog"
              height={180}
              options={{ scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'rows / minute' } } } }}
            />
          ) : null}
        </div>
        <div class="panel">
          <h3>Watch time per session</h3>
          {sessionsChart ? <ChartBox type="bar" data={sessionsChart} testid="chart-sessions" options={{ plugins: { legend: { display: false } } }} /> : null}
        </div>
        <div class="panel">
          <h3>Feed latency percentiles</h3>
          <ChartBox type="line" data={latencyChart} testid="chart-latency" options={{ scales: { y: { beginAtZero: true } } }} />
          <p class="muted small">From GET /metrics (feed_http_request_duration_seconds, route /v1/feed), over each {REFRESH_MS / 1000} s interval.</p>
        </div>
        <div class="panel">
          <h3>Candidates per source</h3>
          {metricsView.candidates.size ? (
            <ChartBox type="bar" data={candidatesChart} testid="chart-candidates" options={{ indexAxis: 'y', plugins: { legend: { display: false } } }} />
          ) : (
            <p class="muted">No feed requests served by this process yet.</p>
          )}
          <p class="muted small">Mean candidates each source returned per request (feed_source_candidates).</p>
        </div>
      </section>

      <Models adminKey={props.adminKey} />

      <Experiments adminKey={props.adminKey} />

      {results ? <SimulatorPanel results={results.results} /> : null}

      <section>
        <h2>Benchmarks and simulator</h2>
        {results === null ? <p class="muted">Loading results…</p> : null}
        {results && results.results.length === 0 ? (
          <p class="muted">
            No results yet: run <code>node bin/feed.js bench &lt;name&gt;</code> (full runs are copied to benchmarks/results/latest/, which the repository commits).
          </p>
        ) : null}
        {results?.skipped.length ? <p class="muted small">Skipped unreadable results: {results.skipped.map((s) => s.file).join(', ')}</p> : null}
        <div class="results">
          {results?.results.map((r) => (
            <ResultCard key={`${r.benchmark}:${r.date}`} result={r} />
          ))}
        </div>
      </section>
    </main>
  );
}

function App() {
  const [adminKey, setAdminKey] = useState<string | null | undefined>(undefined);
  useEffect(() => void loadKeys().then((k) => setAdminKey(k.admin)), []);
  if (adminKey === undefined) return <p class="center muted">Loading…</p>;
  if (!adminKey) {
    return (
      <main class="dashboard">
        <h1>Feed engine</h1>
        <KeyForm
          label="The dashboard needs an admin API key"
          onKey={(key) => {
            saveKey('admin', key);
            setAdminKey(key);
          }}
        />
      </main>
    );
  }
  return (
    <Dashboard
      adminKey={adminKey}
      onForgetKey={() => {
        saveKey('admin', null);
        setAdminKey(null);
      }}
    />
  );
}

render(<App />, document.getElementById('root')!);
