import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../core/errors.ts';
import type { UserContext } from '../models/types.ts';
import { trainedWorld, waitFor, type TrainedWorld } from '../test/trained-world.ts';
import { registryModelSource } from './model-source.ts';
import { createFeedService, type FeedService } from './service.ts';

const APP = { 'x-api-key': 'demo-app-key', 'content-type': 'application/json' };

/** Online training runs in a worker thread of the serving process; serving applies what it publishes. */
describe('online training in its own thread, on the real Kafka and ClickHouse', () => {
  let world: TrainedWorld;
  let service: FeedService;
  let item: string;
  let probe: UserContext;
  let round = 0;

  beforeAll(async () => {
    world = await trainedWorld('online-training', { items: 300, users: 40, days: 1 });
    service = await createFeedService(world.config, { models: registryModelSource(world.config) });
    item = service.catalog.items.id(3);
    // A fixed person whose only engagement is `item`: their vector moves only when the model does.
    probe = { userId: 'probe', locale: 'zh', segment: '', recent: [{ item_id: item, kind: 'complete', ts: Date.now() }] };
  }, 300_000);

  afterAll(async () => {
    await service?.stop();
    await world?.drop();
  });

  const vectors = () => {
    const snap = service.models.current!;
    return { user: Array.from(snap.retrieval.userVector(probe)), item: Array.from(snap.retrieval.itemVector(item)!) };
  };

  /** 160 completions (two and a half steps of 64) through POST /v1/events, half of them of `item`. */
  const postCompletions = async () => {
    round++;
    const events = Array.from({ length: 160 }, (_, i) => ({
      event_id: `ot-${round}-${i}`,
      kind: 'complete',
      user_id: `u${(i % 40) + 1}`,
      item_id: i % 2 ? item : service.catalog.items.id(i % service.catalog.items.size),
      ts: Date.now(),
    }));
    const res = await service.app.request('/v1/events', { method: 'POST', headers: APP, body: JSON.stringify({ events }) });
    expect(res.status).toBe(200);
  };

  it('the service is ready only once its training thread has loaded the version', () => {
    // Its start would otherwise compete with a new process's first requests for the CPU.
    expect(service.learning.stats()).toMatchObject({ version: service.models.current!.version, running: true });
  });

  it('events move the served user and item vectors, trained in the thread and published to serving', async () => {
    const backend = service.learning.stats().backend;
    expect(['tensorflow', 'wasm', 'cpu']).toContain(backend);
    const before = vectors();
    // The stream follower's bootstrap from ClickHouse may have trained a few steps already.
    const steps = service.learning.stats().steps;
    await postCompletions();
    await waitFor('two published training steps', () => (service.learning.stats().steps >= steps + 2 ? true : undefined), 30_000);
    // Updates are published every 250 ms; the steps count arrives with them.
    const after = vectors();
    expect(after.user).not.toEqual(before.user);
    expect(after.item).not.toEqual(before.item);
    const health = (await (await service.app.request('/v1/health')).json()) as { components: { model: { online_training: Record<string, unknown> } } };
    expect(health.components.model.online_training).toMatchObject({ version: service.models.current!.version, backend, running: true, restarts: 0 });
  }, 60_000);

  it('serving keeps answering with the last weights while the thread is killed, and the thread restarts and trains on', async () => {
    await service.learning.training!.worker!.terminate();
    // After the exit: the thread may publish until then.
    const trained = vectors();
    const steps = service.learning.stats().steps;
    expect(service.learning.stats()).toMatchObject({ running: false, restarts: 1 });
    let answered = 0;
    while (!service.learning.stats().running) {
      const res = await service.app.request(`/v1/feed?user_id=u${(answered % 40) + 1}&count=10`, { headers: APP });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
      expect(vectors()).toEqual(trained);
      answered++;
      // In-process requests resolve in microtasks: let the loop take the thread's messages.
      await sleep(20);
    }
    expect(answered).toBeGreaterThan(0);
    await postCompletions();
    await waitFor('training steps from the restarted thread', () => (service.learning.stats().steps >= steps + 2 ? true : undefined), 30_000);
    // Its updates reach serving: the user's vector moves off the weights it kept while the thread was down.
    await waitFor('the restarted thread moving the served user vector', () => (vectors().user.some((v, i) => v !== trained.user[i]) ? true : undefined), 30_000);
  }, 90_000);

  it('feed serve --workers 2: every serving process trains in its own thread, and SIGTERM stops them all', async () => {
    const child = spawn('node', ['bin/feed.js', 'serve', '--workers', '2', '--port', '0'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        FEED_DATA_DIR: world.config.dataDir,
        CLICKHOUSE_URL: world.config.clickhouse.url,
        CLICKHOUSE_DATABASE: world.config.clickhouse.database,
        KAFKA_BROKERS: world.config.kafka.brokers.join(','),
        KAFKA_TOPIC: world.config.kafka.topic,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const readyPids = () => new Set([...out.matchAll(/"pid":(\d+)[^\n]*"msg":"online training thread ready"/g)].map((m) => Number(m[1])));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('a training thread in each serving process', () => (readyPids().size === 2 ? true : undefined), 120_000);
      child.kill('SIGTERM');
      expect(await waitFor('the primary to exit', () => child.exitCode ?? undefined, 40_000)).toBe(0);
      for (const pid of readyPids()) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of readyPids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 180_000);
});
