import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/schema.ts';
import { initBackend } from '../../models/backend.ts';
import { cpuTimes, gitInfo, machineInfo, stealShare } from './machine.ts';
import { loadBenchmark } from './registry.ts';
import { RESULT_SCHEMA_VERSION, writeResult, type BenchResult } from './result.ts';
import { formatTable } from '../../core/table.ts';
import type { BenchOutput } from './types.ts';

export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface RunOptions {
  config: Config;
  smoke?: boolean;
  repeats?: number;
  items?: number[];
  outDir?: string;
  /** Where tables go; stdout by default. */
  print?: (text: string) => void;
  /** Where progress goes; stderr by default. */
  progress?: (text: string) => void;
}

/**
 * Machine, commit and CPU counters read when a run starts; `finish` wraps the run's output into a
 * result with them (also used by `feed simulate`, which is not a registered benchmark).
 */
export function startRun() {
  const started = Date.now();
  const machine = machineInfo();
  const cpuAtStart = cpuTimes();
  const git = gitInfo();
  return {
    started,
    machine,
    git,
    finish(run: Pick<BenchResult, 'benchmark' | 'smoke' | 'repeats' | 'backend'>, output: BenchOutput): BenchResult {
      return {
        schema_version: RESULT_SCHEMA_VERSION,
        benchmark: run.benchmark,
        smoke: run.smoke,
        date: new Date(started).toISOString(),
        duration_s: Math.round((Date.now() - started) / 100) / 10,
        git,
        // On a shared VM the hypervisor's steal explains slow runs that the load average does not.
        machine: { ...machine, load_1m_end: Number(loadavg()[0]!.toFixed(2)), cpu_steal: stealShare(cpuAtStart, cpuTimes()) },
        backend: run.backend,
        repeats: run.repeats,
        ...output,
      };
    },
  };
}

/** Runs one benchmark, prints its tables, writes its JSON result and returns it with the file path. */
export async function runBenchmark(name: string, opts: RunOptions): Promise<{ result: BenchResult; file: string }> {
  const bench = await loadBenchmark(name);
  const smoke = opts.smoke ?? false;
  const repeats = opts.repeats ?? (smoke ? 2 : bench.defaultRepeats);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${repeats}`);
  const print = opts.print ?? ((t: string) => process.stdout.write(`${t}\n`));
  const progress = opts.progress ?? ((t: string) => process.stderr.write(`${t}\n`));
  const run = startRun();
  const { started, machine, git } = run;
  const backend = await initBackend();
  progress(`[${name}] ${smoke ? 'smoke run' : 'full run'}, ${repeats} repeats, tfjs backend ${backend.name}, load ${machine.load_1m} on ${machine.cores} cores`);

  const output = await bench.run({
    smoke,
    repeats,
    items: opts.items ?? [],
    config: opts.config,
    log: (m) => progress(`[${name} ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}`),
  });

  const result = run.finish({ benchmark: name, smoke, repeats, backend: { tfjs: backend.name, reason: backend.reason } }, output);
  const file = writeResult(result, opts.outDir ?? DEFAULT_RESULTS_DIR);

  print(`\n${name}: ${bench.description}`);
  const steal = result.machine.cpu_steal;
  print(
    `commit ${git.commit.slice(0, 12)}${git.dirty ? ' (dirty)' : ''} · ${machine.cpu} · ${machine.cores} cores · node ${machine.node} · tfjs ${backend.name} · medians of ${repeats} · load ${machine.load_1m} → ${result.machine.load_1m_end}${steal != null ? ` · ${(steal * 100).toFixed(1)}% CPU stolen by the hypervisor` : ''}`,
  );
  for (const t of result.tables) print(`\n${formatTable(t)}`);
  if (result.references.length) {
    print('\nreferences (measured in the same run)');
    for (const r of result.references) {
      print(`  ${r.name}: ${r.figure} = ${r.value ?? '-'} ${r.unit}; ratio ${r.ratio ?? '-'} (${r.ratio_meaning})`);
    }
  }
  if (result.targets.length) {
    print('\ntargets');
    for (const t of result.targets) {
      const verdict = t.value === null ? 'NOT MEASURED' : !t.applies ? 'not judged (other size)' : t.met ? 'MET' : 'MISSED';
      print(`  ${t.figure}: ${t.value ?? '-'} ${t.unit} vs ${t.target}: ${verdict}, ${t.margin}${t.note ? ` — ${t.note}` : ''}`);
    }
  }
  for (const n of result.notes) print(`note: ${n}`);
  print(`\nresult: ${file}`);
  return { result, file };
}
