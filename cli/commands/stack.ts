import { InvalidArgumentError, type Command } from 'commander';
import { stackDown, stackStatus, stackUp } from '../../stack/stack.ts';
import type { Config } from '../../config/schema.ts';
import { localClusterOverrides } from '../../stack/kafka-broker.ts';
import { configFrom } from '../context.ts';

/** With `--kafka-brokers N`: N local brokers (replication factor 3 from 3 brokers); same flag for up, down and status. */
function stackConfig(cmd: Command): Config {
  const config = configFrom(cmd);
  const n = cmd.optsWithGlobals<{ kafkaBrokers?: number }>().kafkaBrokers;
  return n === undefined ? config : configFrom(cmd, localClusterOverrides(config, n));
}

function brokerCount(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError(`expects 1 to 5 brokers, got "${raw}"`);
  return n;
}

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('the local Kafka broker(s) and ClickHouse server (and Redis with online.store=redis)')
    .option('--kafka-brokers <n>', 'local Kafka brokers: 1 (default), or 3 for a KRaft cluster that survives one broker (replication 3, min.insync.replicas 2)', brokerCount);

  stack
    .command('up')
    .description('start Kafka and ClickHouse on loopback (data under dataDir), create topics and tables')
    .action(async (_opts, cmd: Command) => {
      const result = await stackUp(stackConfig(cmd));
      for (const [name, state] of Object.entries(result)) {
        console.log(`${name.padEnd(10)} ${state === 'running' ? 'already running' : state}`);
      }
    });

  stack
    .command('down')
    .description('stop the services this project started')
    .action(async (_opts, cmd: Command) => {
      const stopped = await stackDown(stackConfig(cmd));
      console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
    });

  stack
    .command('status')
    .description("each service's health; exits 1 when one is unhealthy")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const status = await stackStatus(stackConfig(cmd));
      if (opts.json) console.log(JSON.stringify(status, null, 2));
      else {
        for (const s of status) {
          const state = s.healthy ? 'healthy' : s.pid ? 'starting or unhealthy' : 'down';
          console.log(`${s.name.padEnd(10)} ${state.padEnd(22)} ${s.mode.padEnd(8)} ${s.endpoint}${s.pid ? `  pid ${s.pid}` : ''}`);
        }
      }
      if (status.some((s) => !s.healthy)) process.exitCode = 1;
    });
}
