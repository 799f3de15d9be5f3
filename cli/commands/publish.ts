import { Option, type Command } from 'commander';
import { WRITABLE_TABLES, type WritableTable } from '../../ingest/catalog-writes.ts';
import { publishFile } from '../../ingest/publish-file.ts';
import { configFrom } from '../context.ts';

export function registerPublishCommands(program: Command): void {
  program
    .command('publish')
    .description('bulk catalog writes: one JSON row per line, validated like POST /v1/<table>, through the catalog topic into ClickHouse and every replica')
    .requiredOption('--file <path>', 'JSON lines file')
    .addOption(new Option('--table <table>', 'what the rows are').choices(WRITABLE_TABLES).default('items'))
    .action(async (opts: { file: string; table: WritableTable }, cmd: Command) => {
      const config = configFrom(cmd);
      const { published, rejected } = await publishFile(config, opts.table, opts.file);
      for (const r of rejected.slice(0, 20)) console.error(`line ${r.line}: ${r.reason}`);
      if (rejected.length > 20) console.error(`… and ${rejected.length - 20} more rejected lines`);
      console.log(`published ${published} rows to ${opts.table} (Kafka topic ${config.kafka.catalogTopic}); rejected ${rejected.length}`);
      if (published === 0 && rejected.length > 0) process.exitCode = 1;
    });
}
