import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latestByBenchmark, readResults, type BenchResult } from '../harness/result.ts';
import { markdownTable } from '../../core/table.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The committed evaluation results the README's tables are drawn from. */
const LATEST_RESULTS_DIR = join(ROOT, 'benchmarks/results/latest');

const begin = (benchmark: string) => `<!-- ${benchmark}:begin (generated from benchmarks/results/latest by \`feed bench report\`; edits inside are overwritten) -->`;
const end = (benchmark: string) => `<!-- ${benchmark}:end -->`;

/** One result as markdown: the first cut-off's metrics (mean ± std over seeds), what was measured, targets and references. */
function evaluationMarkdown(r: BenchResult): string {
  const table = r.tables[0];
  if (!table) return `No table in ${r.benchmark}.`;
  const k0 = (r.params.ks as number[] | undefined)?.[0] ?? 10;
  const keep = table.columns.map((c, i) => (c === 'model' || c.endsWith(` s`) || c.endsWith(`@${k0}`) ? i : -1)).filter((i) => i >= 0);
  const out = [
    markdownTable(
      keep.map((i) => table.columns[i]!),
      table.rows.map((row) => keep.map((i) => row[i] ?? null)),
    ),
  ];
  const d = r.dataset;
  out.push(
    '',
    `${r.benchmark}: ${d.file} (${d.users} users, ${d.items} items, ${d.interactions} interactions; weights: ${d.weights}); ` +
      `seeds ${(r.params.seeds as number[]).join(', ')} (mean ± sample std); tfjs ${r.backend.tfjs}; ${r.machine.cores} cores at load ${r.machine.load_1m}; ` +
      `${r.date.slice(0, 16).replace('T', ' ')} UTC, commit ${r.git.commit.slice(0, 8)}${r.git.dirty ? ' (dirty)' : ''}. ${r.notes.join('; ')}.`,
  );
  for (const x of r.references) out.push('', `${x.ratio_meaning}: **${x.ratio}** (twotower ${x.value}).`);
  for (const t of r.targets) out.push('', `Target: ${t.figure} ${t.target}: ${t.value ?? '-'} — ${t.applies ? (t.met ? 'met' : 'missed') : 'not judged'} (${t.margin}).`);
  return out.join('\n');
}

/** Replaces each `<!-- evaluate-...:begin -->` block of `readme` with the latest result of that benchmark. */
export function spliceEvaluations(readme: string, results: readonly BenchResult[]): string {
  let out = readme;
  for (const [benchmark, r] of latestByBenchmark(results)) {
    const [b, e] = [begin(benchmark), end(benchmark)];
    const from = out.indexOf(b);
    const to = out.indexOf(e);
    if (from < 0 || to < from) continue;
    out = `${out.slice(0, from + b.length)}\n\n${evaluationMarkdown(r)}\n\n${out.slice(to)}`;
  }
  return out;
}

/** Redraws the README's offline-evaluation tables from benchmarks/results/latest; returns the file written. */
export function writeEvaluationTables(readmePath = join(ROOT, 'README.md'), resultsDir = LATEST_RESULTS_DIR): string | undefined {
  if (!existsSync(readmePath)) return undefined;
  const { results } = readResults(resultsDir);
  const evaluations = results.filter((r) => r.benchmark.startsWith('evaluate-'));
  writeFileSync(readmePath, spliceEvaluations(readFileSync(readmePath, 'utf8'), evaluations));
  return readmePath;
}
