import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { wrapError } from '../../core/errors.ts';
import { readMultitaskSpec } from '../../models/multitask/persist.ts';
import { listVersions, promote, readPointer, rollback, versionDir } from '../../models/registry.ts';
import { configFrom } from '../context.ts';

function headline(metrics: Record<string, unknown>): string {
  const r = metrics.retrieval as Record<string, number> | undefined;
  const k = metrics.ranker as Record<string, number> | undefined;
  const parts: string[] = [];
  if (r?.['recall@50'] !== undefined) parts.push(`recall@50 ${r['recall@50'].toFixed(3)}`);
  if (k?.auc_complete != null) parts.push(`auc(complete) ${k.auc_complete.toFixed(3)}`);
  return parts.join(', ');
}

/** Refuses, before the pointer moves, a version whose ranker this build cannot serve (servers would keep the old one). */
function servable(config: Config, version: string): void {
  try {
    readMultitaskSpec(versionDir(config, version));
  } catch (err) {
    throw wrapError(`version ${version} cannot be served by this build`, err);
  }
}

export function registerModelsCommands(program: Command): void {
  const models = program.command('models').description('the model registry: list, promote, rollback');

  models
    .command('list')
    .description('versions, newest last; * marks the promoted one')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const pointer = readPointer(config);
      const versions = listVersions(config);
      if (opts.json) {
        console.log(JSON.stringify({ promoted: pointer.version, history: pointer.history, versions }, null, 2));
        return;
      }
      if (!versions.length) {
        console.log('no model versions yet: run `feed train`');
        return;
      }
      for (const v of versions) {
        const mark = v.version === pointer.version ? '*' : ' ';
        const held = Object.entries(v.models)
          .map(([k, m]) => (m?.inherited_from ? `${k}<-${m.inherited_from}` : k))
          .join('+');
        console.log(`${mark} ${v.version}  ${v.created_at}  ${v.backend.padEnd(10)} ${held.padEnd(12)} ${headline(v.metrics)}`);
      }
    });

  models
    .command('promote <version>')
    .description('serve this version (serving processes reload it within about a second)')
    .action((version: string, _opts, cmd: Command) => {
      const config = configFrom(cmd);
      servable(config, version);
      const pointer = promote(config, version);
      console.log(`promoted ${pointer.version}`);
    });

  models
    .command('rollback')
    .description('serve the previously promoted version again')
    .action((_opts, cmd: Command) => {
      const config = configFrom(cmd);
      const previous = readPointer(config).history.at(-1);
      if (previous) servable(config, previous);
      const pointer = rollback(config);
      console.log(`rolled back to ${pointer.version}`);
    });
}
