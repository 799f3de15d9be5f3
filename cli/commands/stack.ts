import type { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from '../../stack/stack.ts';
import { configFrom } from '../context.ts';

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('the local Kafka broker and ClickHouse server');

  stack
    .command('up')
    .description('start Kafka and ClickHouse on loopback (data under dataDir), create topics and tables')
    .action(async (_opts, cmd: Command) => {
      const result = await stackUp(configFrom(cmd));
      for (const [name, state] of Object.entries(result)) {
        console.log(`${name.padEnd(10)} ${state === 'running' ? 'already running' : state}`);
      }
    });

  stack
    .command('down')
    .description('stop the services this project started')
    .action(async (_opts, cmd: Command) => {
      const stopped = await stackDown(configFrom(cmd));
      console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
    });

  stack
    .command('status')
    .description("each service's health; exits 1 when one is unhealthy")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const status = await stackStatus(configFrom(cmd));
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
