/**
 * A server process forked by the harness (child.ts): starts the server named in argv[2]
 * (a ServerSpec as JSON), reports `ready` with its URL and RSS, then answers `rss`, `call`
 * and `stop` messages over IPC.
 */
import { Hono } from 'hono';
import { ConfigSchema, type Config } from '../../config/schema.ts';
import { listen, type RunningServer } from '../../feed-api/server.ts';
import type { FromChild, ServerSpec, ToChild } from './child.ts';

const send = (m: FromChild) => process.send?.(m);

function memory(): { rss: number; heapUsed: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

export interface Started {
  url: string;
  info: Record<string, unknown>;
  calls: Record<string, (args: unknown) => Promise<unknown>>;
  stop(): Promise<void>;
}

/** The reference: Hono's smallest route on the same Node HTTP adapter, nothing else. */
async function startHello(config: Config): Promise<Started> {
  const app = new Hono();
  app.get('/hello', (c) => c.text('hello'));
  const server: RunningServer = await listen(app as never, config, 0);
  return { url: server.url, info: {}, calls: {}, stop: () => server.close() };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const config = ConfigSchema.parse(spec.config);
  const started = spec.mode === 'hello' ? await startHello(config) : await (await import('./serve-feed.ts')).startFeed(config, spec.options ?? {});
  process.on('message', (m: ToChild) => {
    void (async () => {
      try {
        if (m.type === 'rss') send({ type: 'rss', ...memory() });
        else if (m.type === 'call') {
          const fn = started.calls[m.name];
          if (!fn) throw new Error(`no helper "${m.name}" in ${spec.mode} server`);
          send({ type: 'result', name: m.name, value: await fn(m.args) });
        } else if (m.type === 'stop') {
          await started.stop();
          process.exit(0);
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).message });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: started.url, rss: memory().rss, info: started.info });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
