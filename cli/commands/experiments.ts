import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatReport } from '../../experiments/format.ts';
import { experimentReport } from '../../experiments/report.ts';
import { concludeExperiment, createExperiment, getExperiment, listExperiments, startExperiment, stopExperiment } from '../../experiments/store.ts';
import { withContext } from '../../core/errors.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { configFrom } from '../context.ts';

/** The engine's /metrics text, or undefined when it cannot be reached (the guardrail is then "not measured"). */
async function engineMetrics(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

export function registerExperimentsCommands(program: Command): void {
  const cmd = program.command('experiments').description('online experiments: A/B or interleaved arms of model versions and config overlays');

  cmd
    .command('list')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, c: Command) => {
      const all = listExperiments(configFrom(c));
      if (opts.json) return console.log(JSON.stringify({ experiments: all }, null, 2));
      if (!all.length) return console.log('no experiments yet: `feed experiments create --file spec.json`');
      for (const e of all) {
        const arms = e.arms.map((a) => `${a.name}${a.name === e.control ? '*' : ''}:${a.share}${a.model ? `@${a.model}` : ''}${a.overlay ? '+overlay' : ''}`).join(' ');
        console.log(`${e.id.padEnd(20)} ${e.status.padEnd(9)} ${e.mode.padEnd(10)} ${arms}`);
      }
    });

  cmd
    .command('create')
    .description('store a draft from a JSON spec: {id, mode: ab|interleave, control, arms: [{name, share, model?, overlay?: {ranker?, models?: {weights}}}]}')
    .requiredOption('--file <spec.json>', 'the experiment spec')
    .action((opts: { file: string }, c: Command) => {
      const spec: unknown = JSON.parse(readFileSync(opts.file, 'utf8'));
      const e = createExperiment(configFrom(c), spec);
      console.log(`created ${e.id} (draft); start it with \`feed experiments start ${e.id}\``);
    });

  cmd
    .command('start <id>')
    .description('serve it (replicas follow within about a second)')
    .action((id: string, _o, c: Command) => console.log(`started ${startExperiment(configFrom(c), id).id}`));

  cmd
    .command('stop <id>')
    .description('stop serving it; its results stay reportable')
    .action((id: string, _o, c: Command) => console.log(`stopped ${stopExperiment(configFrom(c), id).id}`));

  cmd
    .command('conclude <id>')
    .description('record the winner of a stopped experiment (promote its model with `feed models promote`)')
    .requiredOption('--winner <arm>', 'the arm chosen')
    .option('--note <text>', 'why', '')
    .action((id: string, opts: { winner: string; note: string }, c: Command) => {
      const e = concludeExperiment(configFrom(c), id, opts.winner, opts.note);
      console.log(`concluded ${e.id}: ${e.conclusion!.winner}`);
    });

  cmd
    .command('report <id>')
    .description("per-arm metrics with confidence intervals from ClickHouse, p99 guardrail from the engine's /metrics")
    .option('--json', 'print JSON')
    .option('--url <url>', 'the engine whose /metrics gives the p99s (default: http://api.host:api.port)')
    .action(async (id: string, opts: { json?: boolean; url?: string }, c: Command) => {
      const config = configFrom(c);
      const e = getExperiment(config, id);
      const url = (opts.url ?? `http://${config.api.host}:${config.api.port}`).replace(/\/+$/, '');
      const ch = createClickHouse(config);
      try {
        const report = await withContext(`reporting experiment ${id}`, async () => experimentReport(ch, config, e, { text: await engineMetrics(url), source: `${url}/metrics` }));
        console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      } finally {
        await ch.close();
      }
    });
}
