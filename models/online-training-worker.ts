import { parentPort, workerData } from 'node:worker_threads';
import { withContext } from '../core/errors.ts';
import { childLogger, logger } from '../core/logger.ts';
import { TurnQueue } from '../core/turn-queue.ts';
import type { EngagementEvent } from '../ingest/events.ts';
import { initBackend } from './backend.ts';
import { OnlineTrainer } from './online-trainer.ts';
import type { FromTrainingThread, ToTrainingThread, TrainingThreadData, TrainingThreadStats } from './online-training-thread.ts';
import { versionDir } from './registry.ts';
import { loadTwoTower } from './retrieval/persist.ts';
import { threadMemory } from './thread-memory.ts';

/** How often changes are published to serving: the freshness of trained rows there, against messages per second. */
const PUBLISH_MS = 250;

/**
 * The online training thread (started by models/online-training-thread.ts): loads the serving
 * version from the registry, trains it on the events serving sends, and publishes what changed
 * every PUBLISH_MS with transferred buffers. It holds its own loop as long as a step takes;
 * serving's loop only copies the changed rows in.
 */
async function main(port: NonNullable<typeof parentPort>, { config, version }: TrainingThreadData): Promise<void> {
  logger(config.logLevel);
  const log = childLogger('online-training-thread');
  const backend = await initBackend(log);
  const model = await withContext(`loading model version ${version} for online training`, async () => loadTwoTower(versionDir(config, version)));
  model.trackChanges();
  // Items the serving index holds: the version's own and those serving indexed itself.
  const indexed = new Set(model.knownItems());
  const trainer = new OnlineTrainer(model, config, { indexed }).start();
  const fresh: { ids: string[]; vectors: Float32Array }[] = [];
  trainer.onItemVectors((ids, vectors) => fresh.push({ ids, vectors }));
  let dropped = 0;
  const queue = new TurnQueue<EngagementEvent>({
    // A batch or so per turn, so serving's messages keep being read during a burst.
    perTurn: 64,
    // A burst beyond this drops the oldest waiting events rather than grow memory and delay without bound.
    maxWaiting: 100_000,
    work: (events) => trainer.apply(events),
    onError: (err) => log.error({ err: err.message }, 'online training step failed; continuing'),
    onDrop: (n) => (dropped += n),
  });
  port.on('message', (m: ToTrainingThread) => {
    if (m.type === 'memory') return post({ type: 'memory', memory: threadMemory() });
    model.setItems(m.items);
    if (m.type === 'events') queue.push(m.events);
    else for (const f of m.items) indexed.add(f.item_id);
  });

  let published: TrainingThreadStats = { steps: 0, lastLoss: NaN, waiting: 0, dropped: 0 };
  setInterval(() => {
    const stats: TrainingThreadStats = { steps: trainer.steps, lastLoss: trainer.lastLoss, waiting: queue.waiting, dropped };
    const trained = stats.steps !== published.steps;
    if (!trained && stats.waiting === published.waiting && stats.dropped === published.dropped) return;
    published = stats;
    if (!trained) return post({ type: 'update', stats });
    const update = model.takeUpdate();
    const buffers = [...update.userWeights, ...update.itemWeights, ...Object.values(update.tables).flatMap((t) => [t.rows, t.values])].map((a) => a.buffer as ArrayBuffer);
    const newItems = fresh.length ? concatVectors(fresh.splice(0), model.dim) : undefined;
    if (newItems) buffers.push(newItems.vectors.buffer as ArrayBuffer);
    post({ type: 'update', stats, model: update, ...(newItems ? { newItems } : {}) }, buffers);
  }, PUBLISH_MS);
  log.debug({ version, backend: backend.name }, 'online training thread loaded');
  post({ type: 'ready', backend });

  function post(m: FromTrainingThread, transfer: ArrayBuffer[] = []): void {
    port.postMessage(m, transfer);
  }
}

function concatVectors(parts: { ids: string[]; vectors: Float32Array }[], dim: number): { ids: string[]; vectors: Float32Array } {
  const ids = parts.flatMap((p) => p.ids);
  const vectors = new Float32Array(ids.length * dim);
  let at = 0;
  for (const p of parts) {
    vectors.set(p.vectors, at);
    at += p.vectors.length;
  }
  return { ids, vectors };
}

if (!parentPort) throw new Error('models/online-training-worker.ts runs as a worker thread (models/online-training-thread.ts starts it)');
await main(parentPort, workerData as TrainingThreadData);
