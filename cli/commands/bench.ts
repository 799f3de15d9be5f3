import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BENCHMARK_NAMES } from '../../benchmarks/harness/registry.ts';
import { configFrom } from '../context.ts';

function positiveInt(flag: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer, got "${raw}"`);
    return n;
  };
}

/** `100k,1m,250000` → [100000, 1000000, 250000]. */
export function itemSizes(raw: string): number[] {
  return raw.split(',').map((part) => {
    const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(part.trim());
    if (!m) throw new Error(`--items expects sizes like 100k,1m,250000; got "${part}"`);
    const mult = { '': 1, k: 1000, m: 1_000_000 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
    return Math.round(Number(m[1]) * mult);
  });
}

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description(`run a benchmark (${BENCHMARK_NAMES.join(', ')}), or "all", or "report" to redraw plots and the README table`)
    .argument('<name>', `${BENCHMARK_NAMES.join(' | ')} | all | report`)
    .option('--smoke', 'tiny sizes, a few seconds (CI checks the JSON, not the speed)')
    .option('--out <dir>', 'results folder (default benchmarks/results)')
    .option('--repeats <n>', 'repeated runs per measurement; figures are medians', positiveInt('--repeats'))
    .option('--items <sizes>', 'dataset sizes, e.g. 100k,1m', itemSizes)
    .option('--workers <n>', 'serving processes of each feed server, as `feed serve --workers` (default: one per core)', positiveInt('--workers'))
    .option('--json', 'print the JSON result on stdout (an array for "all"); tables and progress go to stderr')
    .addHelpText(
      'after',
      '\nEach run prints a table and writes one JSON result (a full run also to <out>/latest/<name>.json, which is committed); `feed bench report` rewrites the generated tables of README.md (targets, offline evaluation) and benchmarks/README.md and benchmarks/plots/*.svg from <out>/latest/.',
    )
    .action(async (name: string, opts: { smoke?: boolean; out?: string; repeats?: number; items?: number[]; workers?: number; json?: boolean }, cmd: Command) => {
      if (name === 'report') {
        const { writeReport } = await import('../../benchmarks/report/report.ts');
        const { LATEST_DIR } = await import('../../benchmarks/harness/result.ts');
        const written = await writeReport({ ...(opts.out ? { resultsDir: join(opts.out, LATEST_DIR) } : {}) });
        // The README's offline-evaluation tables, from the committed `feed evaluate` results.
        const { writeEvaluationTables } = await import('../../benchmarks/evaluate/readme.ts');
        const evaluations = writeEvaluationTables();
        written.push(...(evaluations ? [evaluations] : []));
        if (opts.json) console.log(JSON.stringify({ written }, null, 2));
        else for (const f of written) console.log(`wrote ${f}`);
        return;
      }
      const names = name === 'all' ? BENCHMARK_NAMES : [name];
      if (!names.every((n) => BENCHMARK_NAMES.includes(n))) {
        throw new Error(`unknown benchmark "${name}"; choose one of: ${BENCHMARK_NAMES.join(', ')}, all, report`);
      }
      const loaded = configFrom(cmd);
      const config = { ...loaded, api: { ...loaded.api, workers: opts.workers ?? availableParallelism() } };
      const { loadBenchmark } = await import('../../benchmarks/harness/registry.ts');
      if ((await Promise.all(names.map(loadBenchmark))).some((b) => b.stack)) {
        const { stackUp } = await import('../../stack/stack.ts');
        await stackUp(config);
      }
      const { runBenchmark } = await import('../../benchmarks/harness/run.ts');
      const results = [];
      for (const n of names) {
        const { result } = await runBenchmark(n, {
          config,
          ...(opts.smoke ? { smoke: true } : {}),
          ...(opts.repeats ? { repeats: opts.repeats } : {}),
          ...(opts.items ? { items: opts.items } : {}),
          ...(opts.out ? { outDir: opts.out } : {}),
          ...(opts.json ? { print: (t: string) => process.stderr.write(`${t}\n`) } : {}),
        });
        results.push(result);
      }
      if (opts.json) console.log(JSON.stringify(name === 'all' ? results : results[0], null, 2));
    });
}
