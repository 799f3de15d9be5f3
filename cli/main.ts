import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.ts';
import { registerStackCommands } from './commands/stack.ts';

const program = new Command('feed')
  .description('Douyin-style feed engine: local stack, ingest, training, serving, simulation and benchmarks')
  .option('-c, --config <file>', 'JSON config file (default: $FEED_CONFIG or ./feed.config.json)')
  .showHelpAfterError()
  .exitOverride();

registerStackCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`feed: ${(err as Error).message}`);
  if (process.env.DEBUG) console.error(err);
  process.exit(1);
}
