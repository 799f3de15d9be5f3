import { InvalidArgumentError, type Command } from 'commander';
import { progressPrinter } from '../../simulator/progress.ts';
import { seedWorld } from '../../simulator/seed.ts';
import { catalogSize } from '../../storage/catalog.ts';
import { migrate } from '../../storage/clickhouse.ts';
import { configFrom } from '../context.ts';

export function nonNegativeInt(raw: string): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function integer(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

export function epochSeconds(raw: string): number {
  const ms = /^\d+$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected epoch seconds or an ISO-8601 time');
  return Math.floor(ms / 1000);
}

export function registerSeedCommands(program: Command): void {
  program
    .command('seed')
    .description('generate a synthetic Douyin-style world and load it: catalog into ClickHouse, history through Kafka')
    .option('--items <n>', 'videos (default: simulator.items, 20,000)', nonNegativeInt)
    .option('--users <n>', 'people (default: simulator.users, 2,000)', nonNegativeInt)
    .option('--days <n>', 'days of historical events to send through Kafka, 0 for none (default: simulator.days, 7)', nonNegativeInt)
    .option('--seed <n>', 'world seed (default: config seed, 42)', integer)
    .option('--now <time>', "the world's now, epoch seconds or ISO-8601 (default: the current hour)", epochSeconds)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { items?: number; users?: number; days?: number; seed?: number; now?: number; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      await migrate(config);
      const loaded = await catalogSize(config);
      if (loaded > 0) {
        console.error(
          `warning: ${config.clickhouse.database} already holds a world (${loaded.toLocaleString('en-US')} videos); its events stay beside this one's and training learns from both. \`feed start --reseed\` drops the database first.`,
        );
      }
      const result = await seedWorld(config, {
        items: opts.items,
        users: opts.users,
        days: opts.days,
        seed: opts.seed,
        nowSec: opts.now,
        onProgress: progressPrinter('seed'),
      });
      if (opts.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      const { spec, rows, events, seconds } = result;
      console.log(`seeded world seed=${spec.seed} now=${new Date(spec.nowSec * 1000).toISOString()} into ${config.clickhouse.database}`);
      for (const [table, n] of Object.entries(rows)) console.log(`  ${table.padEnd(13)} ${n.toLocaleString('en-US').padStart(12)} rows`);
      console.log(`  ${'events'.padEnd(13)} ${events.toLocaleString('en-US').padStart(12)} sent to Kafka topic ${config.kafka.topic}`);
      console.log(`  time: generate ${seconds.generate.toFixed(1)}s, catalog ${seconds.catalog.toFixed(1)}s, events ${seconds.events.toFixed(1)}s`);
    });
}
