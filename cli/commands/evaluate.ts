import type { Command } from 'commander';
import { Option } from 'commander';
import { RetrievalConfigSchema } from '../../models/config.ts';
import { initBackend } from '../../models/backend.ts';
import { itemKnn, popular } from '../../models/eval/baselines.ts';
import { evaluateModels, type ModelReport, type Recommender } from '../../models/eval/evaluate.ts';
import { readInteractions } from '../../models/eval/interactions.ts';
import { METRICS } from '../../models/eval/metrics.ts';
import { splitInteractions, type Protocol } from '../../models/eval/split.ts';
import { twoTowerRecommender } from '../../models/eval/two-tower-recommender.ts';
import { configFrom } from '../context.ts';
import { progressBar } from '../../models/progress-bar.ts';

const MODEL_NAMES = ['twotower', 'popular', 'itemknn'] as const;

interface EvaluateOptions {
  data: string;
  protocol: Protocol;
  k: string;
  models: string;
  seed?: string;
  epochs?: string;
  json?: boolean;
}

function parseKs(raw: string): number[] {
  const ks = raw.split(',').map((s) => Number(s.trim()));
  if (!ks.length || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`--k expects positive integers such as 10,20; got "${raw}"`);
  return ks;
}

/** A side-by-side table: one row per model, one column per metric@k (test split). */
export function formatTable(reports: ModelReport[], ks: number[]): string {
  const cols = ks.flatMap((k) => METRICS.map((m) => `${m}@${k}`));
  const head = ['model'.padEnd(10), ...cols.map((c) => c.padStart(12)), 'fit s'.padStart(8)].join(' ');
  const rows = reports.map((r) =>
    [r.model.padEnd(10), ...cols.map((c) => (r.test[c] ?? 0).toFixed(4).padStart(12)), r.fitSeconds.toFixed(1).padStart(8)].join(' '),
  );
  return [head, ...rows].join('\n');
}

export function registerEvaluateCommands(program: Command): void {
  program
    .command('evaluate')
    .description('offline evaluation on an interactions file: full-catalogue ranking, Recall/NDCG/Hit/MRR/Precision@k')
    .requiredOption('--data <file>', 'CSV or TSV with a header naming user_id, item_id, timestamp (RecBole name:type headers accepted)')
    .addOption(new Option('--protocol <protocol>', 'random: per-user 80/10/10 (RecBole); loo: last item test, one before it validation').choices(['random', 'loo']).default('random'))
    .option('--k <list>', 'cut-offs, comma separated', '10,20')
    .option('--models <list>', `models to run: ${MODEL_NAMES.join(',')}`, MODEL_NAMES.join(','))
    .option('--seed <n>', 'seed of the split and of training (default: config seed)')
    .option('--epochs <n>', 'maximum two-tower epochs (early stopping on validation NDCG)')
    .option('--json', 'print only the JSON report')
    .action(async (opts: EvaluateOptions, cmd: Command) => {
      const config = configFrom(cmd);
      const ks = parseKs(opts.k);
      const seed = opts.seed !== undefined ? Number(opts.seed) : config.seed;
      const names = opts.models.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !(MODEL_NAMES as readonly string[]).includes(n));
      if (unknown.length || !names.length) throw new Error(`unknown model(s) ${unknown.join(', ')}; choose from ${MODEL_NAMES.join(', ')}`);
      const retrieval = RetrievalConfigSchema.parse({ ...config.models.retrieval, ...(opts.epochs ? { epochs: Number(opts.epochs) } : {}) });

      const data = readInteractions(opts.data);
      const split = splitInteractions(data, opts.protocol, seed);
      const log = (msg: string) => (opts.json ? undefined : console.error(msg));
      log(`${opts.data}: ${data.user.length} interactions, ${data.users.length} users, ${data.items.length} items` +
        `${data.weightColumn ? `, weights from ${data.weightColumn}` : ''}; protocol ${opts.protocol}, seed ${seed}`);

      const models: Recommender[] = [];
      let backend: string | undefined;
      for (const name of names) {
        if (name === 'popular') models.push(popular());
        else if (name === 'itemknn') models.push(itemKnn());
        else {
          backend = (await initBackend()).name;
          const bar = opts.json ? undefined : progressBar('twotower');
          const rec = twoTowerRecommender(retrieval, {
            ...(bar ? { onProgress: bar.update } : {}),
            onValidate: (epoch, ndcg) => log(`\nepoch ${epoch}: validation ndcg@${ks[0]} ${ndcg.toFixed(4)}`),
          });
          models.push({ ...rec, fit: async (ctx) => { await rec.fit(ctx); bar?.stop(); } });
        }
      }
      const reports = await evaluateModels(data, split, models, ks, seed, (name) => log(`fitting ${name}...`));
      const report = { data: opts.data, protocol: opts.protocol, seed, ks, backend, users: data.users.length, items: data.items.length, interactions: data.user.length, models: reports };
      console.log(JSON.stringify(report, null, opts.json ? 2 : undefined));
      if (!opts.json) console.log(`\ntest split, ${opts.protocol} protocol:\n${formatTable(reports, ks)}`);
    });
}
