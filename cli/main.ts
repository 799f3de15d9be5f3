import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.ts';
import { registerStackCommands } from './commands/stack.ts';
import { registerStartCommands } from './commands/start.ts';
import { registerServeCommands } from './commands/serve.ts';
import { registerSeedCommands } from './commands/seed.ts';
import { registerSimulateCommands } from './commands/simulate.ts';
import { registerEvaluateCommands } from './commands/evaluate.ts';
import { registerModelsCommands } from './commands/models.ts';
import { registerTrainCommands } from './commands/train.ts';
import { registerBenchCommands } from './commands/bench.ts';
import { registerIngestCommands } from './commands/ingest.ts';
import { registerPublishCommands } from './commands/publish.ts';
import { registerExperimentsCommands } from './commands/experiments.ts';

const program = new Command('feed')
  .description('Douyin-style feed engine: local stack, ingest, training, serving, simulation and benchmarks')
  .option('-c, --config <file>', 'JSON config file (default: $FEED_CONFIG or ./feed.config.json)')
  .showHelpAfterError()
  .exitOverride();

registerStackCommands(program);
registerStartCommands(program);
registerServeCommands(program);
registerSeedCommands(program);
registerSimulateCommands(program);
registerEvaluateCommands(program);
registerModelsCommands(program);
registerTrainCommands(program);
registerBenchCommands(program);
registerIngestCommands(program);
registerPublishCommands(program);
registerExperimentsCommands(program);

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
