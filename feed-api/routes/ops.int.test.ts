import { describe, expect, it } from 'vitest';
import { sleep } from '../../core/errors.ts';
import { createKafka, kafkaProbe } from '../../storage/kafka.ts';
import { testConfig } from '../../test/stack.ts';
import { createApp } from '../app.ts';
import { opsRoutes, type HealthCheck } from './ops.ts';

function countingCheck(): HealthCheck & { calls: number } {
  const check = { name: 'kafka', calls: 0, check: async () => ({ ok: true, n: ++check.calls }) };
  return check;
}

describe('GET /v1/health', () => {
  it('runs the component checks at most once per second, however many calls arrive', async () => {
    const check = countingCheck();
    const app = createApp(testConfig(), [opsRoutes([check])]);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => app.request('/v1/health')));
    for (let i = 0; i < 30; i++) expect((await app.request('/v1/health')).status).toBe(200);
    expect(concurrent.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(check.calls).toBe(1);
  });

  it('checks again once the cached report is older than cacheMs', async () => {
    const check = countingCheck();
    const app = createApp(testConfig(), [opsRoutes([check], { cacheMs: 20 })]);
    await app.request('/v1/health');
    await sleep(30);
    const body = (await (await app.request('/v1/health')).json()) as { components: { kafka: { n: number } } };
    expect([check.calls, body.components.kafka.n]).toEqual([2, 2]);
  });

  it('checks Kafka over one admin client kept open between checks', async () => {
    const config = testConfig();
    const kafka = createKafka(config, { quiet: true, retries: 0 });
    let admins = 0;
    const admin = kafka.admin.bind(kafka);
    kafka.admin = (...args) => {
      admins++;
      return admin(...args);
    };
    const probe = kafkaProbe(config, kafka);
    try {
      const results: boolean[] = [];
      for (let i = 0; i < 20; i++) results.push(await probe.healthy());
      expect(results).toEqual(Array(20).fill(true));
      expect(admins).toBe(1);
    } finally {
      await probe.close();
    }
  });
});
