import type { BenchResult } from '../../../benchmarks/harness/result.ts';

const when = (r: BenchResult) => `${new Date(r.date).toLocaleString()} · commit ${r.git.commit.slice(0, 8)}${r.git.dirty ? '+' : ''} · load ${r.machine.load_1m} on ${r.machine.cores} cores`;

/** A scenario figure: shares as percentages. */
const show = (v: number | null, unit: string) => (v === null ? '—' : unit === 'share' ? `${(v * 100).toFixed(1)}%` : `${Number(v.toPrecision(3))} ${unit}`);

function Table(props: { table: BenchResult['tables'][number] }) {
  return (
    <div class="scroll-x">
      <h4>{props.table.title}</h4>
      <table>
        <thead>
          <tr>
            {props.table.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.table.rows.map((row) => (
            <tr key={String(row[0])}>
              {row.map((v, i) => (
                <td key={i}>{v === null ? '—' : String(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The newest `feed simulate` results: the policy table and the scenarios' pass/fail, with date and commit. */
export function SimulatorPanel(props: { results: readonly BenchResult[] }) {
  const policies = props.results.find((r) => r.benchmark === 'simulate');
  const scenarios = props.results.find((r) => r.benchmark === 'simulate-scenarios');
  return (
    <section data-testid="simulator">
      <h2>Simulator</h2>
      {!policies && !scenarios ? (
        <p class="muted">
          No simulator results yet: run <code>node bin/feed.js simulate --policy random,popular,oracle,http</code> and <code>node bin/feed.js simulate --scenario all</code>.
        </p>
      ) : null}
      <div class="results">
        {policies ? (
          <article class="panel result">
            <header>
              <h3>Policies {policies.smoke ? <span class="tag warn">smoke run</span> : null}</h3>
              <span class="muted">{when(policies)}</span>
            </header>
            {policies.tables.map((t) => (
              <Table key={t.title} table={t} />
            ))}
          </article>
        ) : null}
        {scenarios ? (
          <article class="panel result">
            <header>
              <h3>
                Scenarios against {String(scenarios.params.target)} {scenarios.smoke ? <span class="tag warn">smoke run</span> : null}
              </h3>
              <span class="muted">{when(scenarios)}</span>
            </header>
            <ul class="targets">
              {scenarios.targets.map((t) => (
                <li key={t.id} class={t.met ? 'met' : 'missed'} data-scenario={t.id}>
                  {t.met ? '✓' : '✗'} {t.id}: {show(t.value, t.unit)} (threshold {t.target}) — {t.margin}
                </li>
              ))}
            </ul>
          </article>
        ) : null}
      </div>
    </section>
  );
}
