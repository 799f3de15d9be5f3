/**
 * One side of the ingest pipeline in its own process, as in production: `serve` is the HTTP
 * accept path (POST /v1/events and its Kafka producer, like `feed serve`), `ingest` the
 * consumer (like `feed ingest`). argv: <mode> <config JSON>. Reports `ready`, answers `cpu`
 * with its CPU seconds so far, and stops on `stop`.
 */
import type { Config } from '../../config/schema.ts';
import { createApp } from '../../feed-api/app.ts';
import { eventsRoutes } from '../../feed-api/routes/events.ts';
import { listen } from '../../feed-api/server.ts';
import { startConsumer } from '../../ingest/consumer.ts';
import { createEventProducer } from '../../ingest/producer.ts';

export type IngestChildMode = 'serve' | 'ingest';
export type ToIngestChild = { type: 'cpu' } | { type: 'stop' };
export type FromIngestChild = { type: 'ready'; url?: string } | { type: 'cpu'; seconds: number } | { type: 'stopped' } | { type: 'error'; message: string };

const send = (m: FromIngestChild) => process.send?.(m);
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  const mode = process.argv[2] as IngestChildMode;
  // Already merged and checked by run.ts (with api.port 0, which the schema does not allow).
  const config = JSON.parse(process.argv[3] ?? '{}') as Config;
  let stop: () => Promise<void>;
  if (mode === 'serve') {
    const producer = await createEventProducer(config);
    const server = await listen(createApp(config, [eventsRoutes({ config, producer })]), config, 0);
    stop = async () => {
      await server.close();
      await producer.close();
    };
    send({ type: 'ready', url: server.url });
  } else if (mode === 'ingest') {
    const consumer = await startConsumer(config);
    stop = () => consumer.stop();
    send({ type: 'ready' });
  } else {
    throw new Error(`unknown mode ${mode}; expected serve or ingest`);
  }
  process.on('message', (m: ToIngestChild) => {
    if (m.type === 'cpu') send({ type: 'cpu', seconds: cpuSeconds() });
    else if (m.type === 'stop') {
      stop()
        .then(() => send({ type: 'stopped' }))
        .catch((err: Error) => send({ type: 'error', message: err.message }))
        .finally(() => process.disconnect());
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
