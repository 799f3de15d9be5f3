import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import type { FeedResponse } from './feed-response.ts';
import { createFeedService, type FeedService } from './service.ts';
import { startIngest, type RunningIngest } from '../ingest/service.ts';
import { engineExperimentReport } from '../simulator/experiment.ts';
import { httpPolicy } from '../simulator/policies/http.ts';
import { seedWorld } from '../simulator/seed.ts';
import { simulate } from '../simulator/simulate.ts';
import { generateWorld, type World } from '../simulator/world/generate.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { waitFor } from '../stack/process.ts';
import { queryRows, sql } from '../storage/sql.ts';
import { dropIsolated, isolatedConfig } from '../test/stack.ts';
import { assignArm } from '../experiments/assign.ts';
import type { ExperimentReport } from '../experiments/report.ts';

const ADMIN = { 'x-api-key': 'demo-admin-key', 'content-type': 'application/json' };

/**
 * The worse arm sees only the fresh-content pool, in whatever language, with every slot an
 * exploration slot: no locale, segment, trending or history-based candidates.
 */
const WORSE_OVERLAY = {
  ranker: {
    sources: { ann: 0, i2i: 0, trending: 0, following: 0, kol: 0, social: 0, locale: 0, segment: 0, fresh: 200 },
    rerank: { explorationShare: 1 },
  },
};

describe('experiments on the real Kafka and ClickHouse', () => {
  let config: Config;
  let ch: ClickHouseClient;
  let ingest: RunningIngest;
  let world: World;
  const replicas: FeedService[] = [];

  beforeAll(async () => {
    // The simulated traffic runs as fast as the host allows: the demo keys' 6,000 requests a minute is a production limit, not what this test measures.
    const keys = [
      { key: 'demo-app-key', app: 'demo', rateLimitPerMinute: 1_000_000, userRateLimitPerMinute: 1_000_000 },
      { key: 'demo-admin-key', app: 'admin', admin: true, rateLimitPerMinute: 1_000_000, userRateLimitPerMinute: 1_000_000 },
    ];
    config = await isolatedConfig('experiments', { dataDir: `.data/test/experiments-${randomBytes(4).toString('hex')}`, models: { watchIntervalMs: 100 }, api: { keys } });
    ch = createClickHouse(config);
    const seeded = await seedWorld(config, { items: 400, users: 500, days: 1 });
    world = generateWorld(seeded.spec);
    ingest = await startIngest(config, { progressEveryMs: 600_000 });
    await waitFor(
      'the seeded history in ClickHouse',
      async () => {
        const [row] = await queryRows<{ n: string }>(ch, sql`SELECT count() AS n FROM events`);
        return Number(row!.n) >= seeded.events;
      },
      90_000,
    );
    // Two replicas of the same engine: one registry folder, one ClickHouse, one Kafka.
    for (let i = 0; i < 2; i++) replicas.push(await createFeedService(config));
  }, 240_000);

  afterAll(async () => {
    for (const r of replicas) await r.stop();
    await ingest?.stop();
    await ch?.close();
    if (config) {
      await dropIsolated(config);
      rmSync(config.dataDir, { recursive: true, force: true });
    }
  });

  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    replicas[0]!.app.request(path, { method: init.method ?? 'GET', headers: ADMIN, ...(init.body ? { body: JSON.stringify(init.body) } : {}) });

  it('rejects a bad spec with 400 and an unknown experiment with 404', async () => {
    const bad = await admin('/v1/admin/experiments', {
      method: 'POST',
      body: {
        id: 'x',
        control: 'a',
        arms: [
          { name: 'a', share: 0.5 },
          { name: 'b', share: 0.4 },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/shares must add up to 1/);
    const overlay = await admin('/v1/admin/experiments', {
      method: 'POST',
      body: {
        id: 'y',
        control: 'a',
        arms: [
          { name: 'a', share: 0.5 },
          { name: 'b', share: 0.5, overlay: { ranker: { sources: { nope: 3 } } } },
        ],
      },
    });
    expect(overlay.status).toBe(400);
    expect(((await overlay.json()) as { error: { message: string } }).error.message).toMatch(/ranker\.sources\.nope/);
    expect((await admin('/v1/admin/experiments/nope/start', { method: 'POST' })).status).toBe(404);
    expect((await replicas[0]!.app.request('/v1/admin/experiments', { headers: { 'x-api-key': 'demo-app-key' } })).status).toBe(403);
  });

  it('assigns users stably across two replicas, and the arm with the worse config loses with significance', async () => {
    const created = await admin('/v1/admin/experiments', {
      method: 'POST',
      body: {
        id: 'worse-sources',
        mode: 'ab',
        control: 'control',
        arms: [
          { name: 'control', share: 0.5 },
          { name: 'worse', share: 0.5, overlay: WORSE_OVERLAY },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect((await admin('/v1/admin/experiments/worse-sources/start', { method: 'POST' })).status).toBe(200);
    expect((await admin('/v1/admin/experiments/worse-sources/start', { method: 'POST' })).status).toBe(409);
    await waitFor('both replicas to serve the experiment', async () => replicas.every((r) => r.experiments.current?.id === 'worse-sources'), 5_000);

    const armOn = async (replica: FeedService, user: string) => {
      const res = await replica.app.request(`/v1/feed?user_id=${user}&count=5`, { headers: { 'x-api-key': 'demo-app-key' } });
      expect(res.status).toBe(200);
      return ((await res.json()) as FeedResponse).experiment?.arm;
    };
    const arms: Record<string, number> = {};
    for (let u = 0; u < 40; u++) {
      const user = `u${u}`;
      const a = await armOn(replicas[0]!, user);
      expect(await armOn(replicas[1]!, user)).toBe(a);
      expect(a).toBe(
        assignArm('worse-sources', user, [
          { name: 'control', share: 0.5 },
          { name: 'worse', share: 0.5 },
        ]),
      );
      arms[a!] = (arms[a!] ?? 0) + 1;
    }
    expect(arms.control).toBeGreaterThan(8);
    expect(arms.worse).toBeGreaterThan(8);

    // Simulated people drive traffic through both replicas, alternating per request.
    let turn = 0;
    const policy = httpPolicy({
      url: 'http://feed.test',
      apiKey: 'demo-app-key',
      fetch: (url, init) => Promise.resolve(replicas[turn++ % 2]!.app.request(url, init)),
    });
    await simulate(world, policy, { users: 500, sessions: 3, seed: 7, wallClock: true, runTag: 'exp' });
    expect(policy.stats.rejectedEvents).toBe(0);
    for (const r of replicas) await r.experiments.flushExposures();
    await waitFor(
      'the simulated events in ClickHouse',
      async () => {
        const [row] = await queryRows<{ n: string }>(ch, sql`SELECT count() AS n FROM events WHERE startsWith(event_id, 'exp-')`);
        return Number(row!.n) >= policy.stats.postedEvents;
      },
      60_000,
    );

    // What `feed simulate --policy http` adds to its result when the engine runs an experiment.
    const report = (await engineExperimentReport({ url: 'http://feed.test', adminKey: 'demo-admin-key', fetch: (url, init) => Promise.resolve(replicas[1]!.app.request(url, init)) }))!;
    expect(report.experiment.id).toBe('worse-sources');
    const control = report.arms.find((a) => a.name === 'control')!;
    const worse = report.arms.find((a) => a.name === 'worse')!;
    expect(control.users + worse.users).toBeGreaterThanOrEqual(500);
    expect(control.sessions).toBeGreaterThan(0);
    const watch = worse.metrics.watch_s_per_session!;
    expect(watch.vs_control!.diff).toBeLessThan(0);
    expect(watch.vs_control!.significant).toBe(true);
    expect(watch.vs_control!.ci[1]).toBeLessThan(0);
    expect(control.latency.requests).toBeGreaterThan(0);
    expect(['pass', 'fail']).toContain(worse.latency.guardrail);

    expect((await admin('/v1/admin/experiments/worse-sources/stop', { method: 'POST' })).status).toBe(200);
    await waitFor('both replicas to stop the experiment', async () => replicas.every((r) => r.experiments.current === undefined), 5_000);
    const after = await replicas[1]!.app.request('/v1/feed?user_id=u1&count=5', { headers: { 'x-api-key': 'demo-app-key' } });
    expect(((await after.json()) as FeedResponse).experiment).toBeUndefined();
    const concluded = await admin('/v1/admin/experiments/worse-sources/conclude', { method: 'POST', body: { winner: 'control', note: 'worse lost' } });
    expect(concluded.status).toBe(200);
  }, 600_000);

  it('interleaving finds the worse ranking worse from one mixed page per request', async () => {
    const spec = {
      id: 'worse-interleaved',
      mode: 'interleave',
      control: 'control',
      arms: [
        { name: 'control', share: 0.5 },
        { name: 'worse', share: 0.5, overlay: WORSE_OVERLAY },
      ],
    };
    expect((await admin('/v1/admin/experiments', { method: 'POST', body: spec })).status).toBe(201);
    expect((await admin('/v1/admin/experiments/worse-interleaved/start', { method: 'POST' })).status).toBe(200);
    await waitFor('both replicas to serve the experiment', async () => replicas.every((r) => r.experiments.current?.id === 'worse-interleaved'), 5_000);
    const policy = httpPolicy({ url: 'http://feed.test', apiKey: 'demo-app-key', fetch: (url, init) => Promise.resolve(replicas[0]!.app.request(url, init)) });
    // Fewer people than the A/B run: every page compares both arms.
    await simulate(world, policy, { users: 150, sessions: 2, seed: 8, wallClock: true, runTag: 'inter' });
    await replicas[0]!.experiments.flushExposures();
    await waitFor(
      'the simulated events in ClickHouse',
      async () => {
        const [row] = await queryRows<{ n: string }>(ch, sql`SELECT count() AS n FROM events WHERE startsWith(event_id, 'inter-')`);
        return Number(row!.n) >= policy.stats.postedEvents;
      },
      60_000,
    );
    const report = (await (await admin('/v1/admin/experiments/worse-interleaved/report')).json()) as ExperimentReport;
    const share = report.interleave!.treatment_win_share;
    expect(report.interleave!.users).toBeGreaterThanOrEqual(100);
    expect(report.interleave!.wins.control).toBeGreaterThan(report.interleave!.wins.worse!);
    expect(share.value).toBeLessThan(0.5);
    expect(share.vs_even.significant).toBe(true);
    // Per arm, events count for the team whose entry they name.
    for (const arm of report.arms) expect(arm.users).toBeGreaterThanOrEqual(100);
    const [control, worse] = ['control', 'worse'].map((n) => report.arms.find((a) => a.name === n)!.metrics.completion_rate!);
    expect(worse!.value).toBeLessThan(control!.value);
    expect((await admin('/v1/admin/experiments/worse-interleaved/stop', { method: 'POST' })).status).toBe(200);
  }, 600_000);
});
