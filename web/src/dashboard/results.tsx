import type { BenchResult } from '../../../benchmarks/harness/result.ts';
import { ChartBox, PALETTE } from './chart.tsx';
import { tableLayout, type Cell } from './layout.ts';

const fmt = (v: number | null, unit = '') => (v == null ? '—' : `${Math.abs(v) >= 100 ? Math.round(v).toLocaleString() : Number(v.toPrecision(3))}${unit ? ` ${unit}` : ''}`);

/** Numeric columns of a result table as one bar chart each. */
function TableCharts(props: { table: BenchResult['tables'][number] }) {
  const { columns, rows, title } = props.table;
  const { labels, charted } = tableLayout(columns, rows);
  if (charted.length === 0) return null;
  return (
    <div class="table-charts">
      <h4>{title}</h4>
      <div class="mini-grid">
        {charted.slice(0, 6).map(({ name, i }, n) => (
          <ChartBox
            key={name}
            type="bar"
            height={190}
            data={{
              labels,
              datasets: [{ label: name, data: rows.map((r) => (r[i] as number | null) ?? 0), backgroundColor: PALETTE[n % PALETTE.length] }],
            }}
            options={{ plugins: { legend: { display: true } }, scales: { y: { beginAtZero: true }, x: { ticks: { autoSkip: false, maxRotation: 60, font: { size: 10 } } } } }}
          />
        ))}
      </div>
    </div>
  );
}

/** A series whose first numeric key rises (a load step, a size) as x, the others as lines; other series are left to the tables. */
function SeriesChart(props: { name: string; points: Record<string, Cell>[] }) {
  const keys = Object.keys(props.points[0] ?? {}).filter((k) => props.points.every((p) => typeof p[k] === 'number'));
  const x = keys.find((k) => props.points.every((p, i) => i === 0 || (p[k] as number) > (props.points[i - 1]![k] as number)));
  const ys = keys.filter((k) => k !== x);
  if (!x || ys.length === 0 || props.points.length < 2) return null;
  return (
    <div>
      <h4>{props.name}</h4>
      <ChartBox
        type="line"
        height={190}
        data={{
          labels: props.points.map((p) => String(p[x])),
          datasets: ys.slice(0, 5).map((k, n) => ({ label: k, data: props.points.map((p) => p[k] as number), borderColor: PALETTE[n], pointRadius: 2 })),
        }}
        options={{ scales: { x: { title: { display: true, text: x } } } }}
      />
    </div>
  );
}

export function ResultCard(props: { result: BenchResult }) {
  const r = props.result;
  return (
    <article class="panel result" data-testid="result" data-benchmark={r.benchmark}>
      <header>
        <h3>
          {r.benchmark} {r.smoke ? <span class="tag warn">smoke run</span> : null}
        </h3>
        <span class="muted">
          {new Date(r.date).toLocaleString()} · {r.machine.cores} cores · tfjs {r.backend.tfjs} · {r.git.commit.slice(0, 8)}
          {r.git.dirty ? '+' : ''}
        </span>
      </header>
      <div class="figures">
        {Object.entries(r.figures).map(([name, f]) => (
          <div class="figure" key={name} title={f.note ?? ''}>
            <span class="muted">{name}</span>
            <strong>{fmt(f.value, f.unit)}</strong>
            {f.min != null && f.max != null ? (
              <span class="muted" data-testid="spread">
                {fmt(f.min)}–{fmt(f.max)}
                {f.runs ? ` over ${f.runs} runs` : ''}
              </span>
            ) : null}
          </div>
        ))}
      </div>
      {r.targets.filter((t) => t.applies).length > 0 ? (
        <ul class="targets">
          {r.targets
            .filter((t) => t.applies)
            .map((t) => (
              <li key={t.id} class={t.met ? 'met' : 'missed'}>
                {t.met ? '✓' : '✗'} {t.figure} {t.target}: {fmt(t.value, t.unit)} ({t.margin})
              </li>
            ))}
        </ul>
      ) : null}
      {r.tables.map((t) => (
        <TableCharts key={t.title} table={t} />
      ))}
      {Object.entries(r.series).map(([name, points]) => (
        <SeriesChart key={name} name={name} points={points} />
      ))}
    </article>
  );
}
