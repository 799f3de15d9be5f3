import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { pino } from 'pino';
import { DEFAULT_RESULTS_DIR } from '../../benchmarks/harness/run.ts';
import { cpuTimes, gitInfo } from '../../benchmarks/harness/machine.ts';
import { writeResult } from '../../benchmarks/harness/result.ts';
import { formatTable } from '../../core/table.ts';
import { initBackend } from '../../models/backend.ts';
import { RetrievalConfigSchema } from '../../config/sections/models.ts';
import { itemKnn, popular } from '../../models/eval/baselines.ts';
import { ease } from '../../models/eval/ease.ts';
import { evaluateModels, type ModelReport, type Recommender, type TrainHooks } from '../../models/eval/evaluate.ts';
import { readInteractions } from '../../models/eval/interactions.ts';
import { evaluationResult } from '../../benchmarks/evaluate/result.ts';
import { sasRecRecommender } from '../../models/eval/sequential-recommender.ts';
import { splitInteractions, type Protocol } from '../../models/eval/split.ts';
import { twoTowerRecommender } from '../../models/eval/two-tower-recommender.ts';
import { progressBar } from '../../models/progress-bar.ts';
import type { TrainProgress } from '../../models/retrieval/train.ts';
import { SequentialConfigSchema } from '../../models/sequential/config.ts';
import { configFrom } from '../context.ts';

const MODEL_NAMES = ['popular', 'itemknn', 'twotower', 'sasrec', 'ease'] as const;
/** Run unless --models says otherwise: ease is left out, its dense inverse needs a small catalogue. */
const DEFAULT_MODELS = MODEL_NAMES.filter((m) => m !== 'ease');

interface EvaluateOptions {
  data: string;
  protocol: Protocol;
  k: string;
  models: string;
  seeds?: string;
  epochs?: string;
  weightColumn?: string;
  columns?: string;
  name?: string;
  out?: string;
  json?: boolean;
}

function positiveInts(flag: string, raw: string, min: number): number[] {
  const xs = raw.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < min)) throw new Error(`${flag} expects integers >= ${min} separated by commas, such as ${min === 0 ? '1,2,3' : '10,20'}; got "${raw}"`);
  return xs;
}

/** `../shared/data/ml-100k/ml-100k.inter` -> `ml-100k`: the folder names the set better than the file. */
function dataName(file: string): string {
  const dir = basename(dirname(file));
  return dir && dir !== '.' ? dir : basename(file).replace(/\.[^.]+$/, '');
}

export function registerEvaluateCommands(program: Command): void {
  program
    .command('evaluate')
    .description('offline evaluation on an interactions file: full-catalogue ranking, Recall/NDCG/Hit/MRR/Precision@k, mean ± std over seeds')
    .requiredOption('--data <file>', 'CSV or TSV with a header naming user_id, item_id, timestamp (RecBole name:type headers accepted)')
    .addOption(new Option('--protocol <protocol>', 'random: per-user 80/10/10 (RecBole); loo: last item test, one before it validation').choices(['random', 'loo']).default('random'))
    .option('--k <list>', 'cut-offs, comma separated', '10,20')
    .option('--models <list>', `models to run: ${MODEL_NAMES.join(',')} (ease: catalogues up to a few thousand items)`, DEFAULT_MODELS.join(','))
    .option('--seeds <list>', 'seeds of the split and of training, comma separated; figures are mean ± std over them (default: config seed)')
    .option('--epochs <n>', 'maximum epochs of the trained models (early stopping on validation NDCG)')
    .option('--weight-column <name>', 'weight rows by this column (default: every row an implicit positive)')
    .option('--columns <list>', 'column names of a file without a header line, e.g. user_id,item_id,category,behavior,timestamp')
    .option('--name <name>', 'data set name in the result (default: the folder of --data); the benchmark is evaluate-<name>-<protocol>')
    .option('--out <dir>', 'results folder (default benchmarks/results)')
    .option('--json', 'print only the JSON result on stdout')
    .action(async (opts: EvaluateOptions, cmd: Command) => {
      const started = Date.now();
      const cpuAtStart = cpuTimes();
      const git = gitInfo();
      const config = configFrom(cmd);
      const ks = positiveInts('--k', opts.k, 1);
      const seeds = opts.seeds !== undefined ? positiveInts('--seeds', opts.seeds, 0) : [config.seed];
      const names = opts.models
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !(MODEL_NAMES as readonly string[]).includes(n));
      if (unknown.length || !names.length) throw new Error(`unknown model(s) ${unknown.join(', ')}; choose from ${MODEL_NAMES.join(', ')}`);
      const epochs = opts.epochs !== undefined ? { epochs: positiveInts('--epochs', opts.epochs, 1)[0]! } : {};
      const retrieval = RetrievalConfigSchema.parse({ ...config.models.retrieval, ...epochs });
      const sequential = SequentialConfigSchema.parse(epochs);

      // Progress and logs go to stderr: stdout carries the table, or only the JSON with --json.
      const log = (msg: string) => process.stderr.write(`${msg}\n`);
      const backend = await initBackend(pino({ level: config.logLevel, base: { component: 'tfjs' } }, pino.destination(2)));
      const data = readInteractions(opts.data, {
        ...(opts.weightColumn ? { weightColumn: opts.weightColumn } : {}),
        ...(opts.columns ? { columns: opts.columns.split(',').map((c) => c.trim()) } : {}),
      });
      log(
        `${opts.data}: ${data.user.length} interactions, ${data.users.length} users, ${data.items.length} items, ` +
          `${data.weightColumn ? `weights from ${data.weightColumn}` : 'implicit (no weights)'}; protocol ${opts.protocol}, seeds ${seeds.join(',')}, tfjs ${backend.name}`,
      );

      // One line per epoch (loss, validation metric, seconds), so a long run can be followed in a log.
      const trained = (name: string, seed: number): TrainHooks & { start: () => void; stop: () => void } => {
        const bar = progressBar(`${name} seed ${seed}`);
        let last: TrainProgress | undefined;
        let since = performance.now();
        let best = -Infinity;
        return {
          onProgress: (p) => {
            last = p;
            bar.update(p);
          },
          onValidate: (epoch, ndcg, seconds) => {
            const now = performance.now();
            best = Math.max(best, ndcg);
            const train = (now - since) / 1000 - seconds;
            since = now;
            log(
              `\n${name} seed ${seed} epoch ${epoch}/${last?.epochs ?? '?'}: loss ${last?.loss.toFixed(4) ?? '-'}, validation ndcg@${ks[0]} ${ndcg.toFixed(4)} (best ${best.toFixed(4)}), ` +
                `train ${train.toFixed(1)} s, validation ${seconds.toFixed(1)} s`,
            );
          },
          start: () => {
            since = performance.now();
          },
          stop: bar.stop,
        };
      };
      const build = (name: string, seed: number): Recommender => {
        if (name === 'popular') return popular();
        if (name === 'itemknn') return itemKnn();
        if (name === 'ease') return ease();
        const hooks = trained(name, seed);
        const rec = name === 'twotower' ? twoTowerRecommender(retrieval, hooks) : sasRecRecommender(sequential, hooks);
        return {
          ...rec,
          fit: async (ctx) => {
            hooks.start();
            await rec.fit(ctx);
            hooks.stop();
          },
        };
      };

      const runs: ModelReport[][] = [];
      for (const seed of seeds) {
        const split = splitInteractions(data, opts.protocol, seed);
        runs.push(
          await evaluateModels(
            data,
            split,
            opts.protocol,
            names.map((n) => build(n, seed)),
            ks,
            seed,
            {
              onFit: (name) => log(`seed ${seed}: fitting ${name}...`),
              onReport: (r) => log(`seed ${seed}: ${r.model} fit ${r.fitSeconds.toFixed(1)} s, score ${r.scoreSeconds.toFixed(1)} s, test ndcg@${ks[0]} ${r.test[`ndcg@${ks[0]}`]!.toFixed(4)}`),
            },
          ),
        );
      }
      const result = evaluationResult({
        name: opts.name ?? dataName(opts.data),
        file: opts.data,
        data,
        protocol: opts.protocol,
        ks,
        seeds,
        runs,
        started,
        cpuAtStart,
        git,
        backend,
        params: {
          ...(names.includes('twotower') ? { twotower: retrieval } : {}),
          ...(names.includes('sasrec') ? { sasrec: sequential } : {}),
          ...(opts.columns ? { columns: opts.columns } : {}),
        },
      });
      const file = writeResult(result, opts.out ?? DEFAULT_RESULTS_DIR);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        log(`result: ${file}`);
        return;
      }
      for (const t of result.tables) process.stdout.write(`\n${formatTable(t)}\n`);
      for (const r of result.references) process.stdout.write(`\n${r.ratio_meaning}: ${r.ratio}\n`);
      for (const t of result.targets) process.stdout.write(`target: ${t.figure} ${t.target}: ${t.value ?? '-'} (${t.applies ? (t.met ? 'MET' : 'MISSED') : 'not judged'}, ${t.margin})\n`);
      process.stdout.write(`\nresult: ${file}\n`);
    });
}
