import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedResponse } from './feed-response.ts';
import { createFeedService, type FeedService, type ModelSource } from './service.ts';
import { createVersion } from '../models/registry.ts';
import type { PromotedModels } from '../models/serving.ts';
import { deepMerge } from '../config/load.ts';
import { catalogFromRows, fakeModels, makeWorld, TEST_WORLD_CAPS, testOnlineState } from '../ranker/testing.ts';
import { testConfig } from '../test/stack.ts';
import { assignArm } from '../experiments/assign.ts';
import { createExperiment, startExperiment, stopExperiment } from '../experiments/store.ts';

const APP = { 'x-api-key': 'demo-app-key' };
/** The service notices a change within `models.watchIntervalMs` (50 ms here): look often. */
const POLL = { timeout: 10_000, interval: 10 };

let service: FeedService | undefined;
let dataDir = '';
afterEach(async () => {
  await service?.stop();
  service = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

/** A service over a small in-memory world whose model source can promote fixture versions. */
async function make() {
  dataDir = `.data/test/router-${randomBytes(4).toString('hex')}`;
  // No ClickHouse here: exposures are never flushed during the test.
  const config = testConfig(deepMerge(TEST_WORLD_CAPS, { dataDir, models: { watchIntervalMs: 50 }, ranker: { trafficPool: { refreshMs: 0 } }, experiments: { exposureFlushMs: 3_600_000 } }));
  const rows = makeWorld({ items: 600, creators: 40 });
  const ids = rows.items.map((i) => i.item_id);
  for (const v of ['v1', 'v2', 'v3']) {
    await createVersion(
      config,
      { backend: 'test', seed: 1, config: {}, feature_spec: {}, metrics: {}, data_range: { from: null, to: null, cutoff: null, events: 0 } },
      () => ({ retrieval: { files: [] }, ranker: { files: [] } }),
      v,
    );
  }
  let promote: ((m: PromotedModels | undefined) => void) | undefined;
  const source: ModelSource = {
    load: async () => fakeModels('v1', ids),
    watch: (onChange) => {
      promote = onChange;
      return () => {};
    },
    loadVersion: async (v) => fakeModels(v, ids),
  };
  service = await createFeedService(config, { catalog: catalogFromRows(rows, config), online: testOnlineState(), producer: null, stackChecks: false, models: source });
  return { service, config, promote: (v: string) => promote!(fakeModels(v, ids)) };
}

async function page(s: FeedService, user: string, cursor?: string) {
  const res = await s.app.request(`/v1/feed?user_id=${user}&count=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: APP });
  expect(res.status).toBe(200);
  return { version: res.headers.get('x-model-version'), body: (await res.json()) as FeedResponse };
}

describe('experiment serving', () => {
  it('keeps a pinned arm on its version after a promotion while an unpinned arm follows the promoted one', async () => {
    const { service, config, promote } = await make();
    const arms = [
      { name: 'old', share: 0.34, model: 'v1' },
      { name: 'new', share: 0.33, model: 'v2' },
      { name: 'promoted', share: 0.33 },
    ];
    createExperiment(config, { id: 'pin', control: 'old', arms });
    startExperiment(config, 'pin');
    await expect.poll(() => service.experiments.current?.id, POLL).toBe('pin');
    const userIn = (arm: string) => Array.from({ length: 200 }, (_, i) => `u${i}`).find((u) => assignArm('pin', u, arms) === arm)!;
    const versions = async () => ({
      old: (await page(service, userIn('old'))).version,
      new: (await page(service, userIn('new'))).version,
      promoted: (await page(service, userIn('promoted'))).version,
    });
    expect(await versions()).toEqual({ old: 'v1', new: 'v2', promoted: 'v1' });
    promote('v3');
    await expect.poll(() => service.models.current?.version, POLL).toBe('v3');
    expect(await versions()).toEqual({ old: 'v1', new: 'v2', promoted: 'v3' });
    const served = await page(service, userIn('new'));
    expect(served.body.experiment).toEqual({ id: 'pin', arm: 'new' });

    stopExperiment(config, 'pin');
    await expect.poll(() => service.experiments.current, POLL).toBeUndefined();
    expect((await page(service, userIn('old'))).version).toBe('v3');
  });

  it('interleaves two arms on one page without repeats across the session', async () => {
    const { service, config } = await make();
    createExperiment(config, {
      id: 'mix',
      mode: 'interleave',
      control: 'a',
      arms: [
        { name: 'a', share: 0.5, model: 'v1' },
        { name: 'b', share: 0.5, model: 'v2' },
      ],
    });
    startExperiment(config, 'mix');
    await expect.poll(() => service.experiments.current?.id, POLL).toBe('mix');
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let p = 0; p < 5; p++) {
      const { body } = await page(service, 'u7', cursor);
      expect(body.experiment).toEqual({ id: 'mix', arm: 'interleaved' });
      expect(body.items.length).toBe(10);
      expect(body.items.map((e) => e.position)).toEqual([...Array(10).keys()]);
      for (const e of body.items) {
        const key = e.type === 'video' ? e.item_id : e.type === 'product' ? `p:${e.product.product_id}` : `l:${e.live_id}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
      cursor = body.cursor;
    }
  });

  it('answers bad admin input with a 4xx that names the problem', async () => {
    const { service } = await make();
    const post = (path: string, body: string, type = 'application/json') => service.app.request(path, { method: 'POST', headers: { 'x-api-key': 'demo-admin-key', 'content-type': type }, body });
    const arms = (second: Record<string, unknown>) =>
      JSON.stringify({
        id: 'bad',
        control: 'a',
        arms: [
          { name: 'a', share: 0.5 },
          { name: 'b', share: 0.5, ...second },
        ],
      });
    const cases: [Response, number, RegExp][] = [
      [await post('/v1/admin/experiments', '{"id":'), 400, /not valid JSON/],
      [await post('/v1/admin/experiments', 'id=x', 'text/plain'), 415, /application\/json/],
      [await post('/v1/admin/experiments', arms({ model: 'v9' })), 400, /unknown model version "v9"/],
      [await post('/v1/admin/experiments', arms({ model: '../v1' })), 400, /invalid version name/],
      [await post('/v1/admin/experiments', arms({ overlay: { ranker: { rerank: { explorationShare: 2 } } } })), 400, /ranker\.rerank\.explorationShare/],
      [await post('/v1/admin/experiments', arms({ overlay: { ranker: { feed: { bloomBits: 1024 } } } })), 400, /feed/],
      [await post('/v1/admin/experiments', arms({ overlay: { models: { weights: { complete: -1 } } } })), 400, /models\.weights\.complete/],
      [await post('/v1/admin/experiments/Bad%20Id/start', ''), 400, /not an experiment id/],
    ];
    for (const [res, status, message] of cases) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    expect((await post('/v1/admin/experiments', arms({}))).status).toBe(201);
    const conclude = await post('/v1/admin/experiments/bad/conclude', JSON.stringify({ winner: 'a' }));
    expect(conclude.status).toBe(409);
    expect((await post('/v1/admin/experiments/bad/start', '')).status).toBe(200);
    expect((await post('/v1/admin/experiments/bad/stop', '')).status).toBe(200);
    expect((await post('/v1/admin/experiments/bad/conclude', JSON.stringify({ winner: 'c' }))).status).toBe(400);
    const done = await post('/v1/admin/experiments/bad/conclude', JSON.stringify({ winner: 'b', note: 'b won' }));
    expect(await done.json()).toMatchObject({ status: 'concluded', conclusion: { winner: 'b', note: 'b won' } });
  });
});
