import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.ts';

describe('loadConfig', () => {
  it('gives local defaults with the stack started by the project', () => {
    const c = loadConfig({ env: {} });
    expect(c.kafka.external).toBe(false);
    expect(c.clickhouse.external).toBe(false);
    expect(c.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(c.dataDir).toBe('.data');
  });

  it('treats KAFKA_BROKERS and CLICKHOUSE_URL as an external cluster', () => {
    const c = loadConfig({ env: { KAFKA_BROKERS: 'k1:9092, k2:9092', CLICKHOUSE_URL: 'https://ch.example:8443' } });
    expect(c.kafka).toMatchObject({ external: true, brokers: ['k1:9092', 'k2:9092'] });
    expect(c.clickhouse).toMatchObject({ external: true, url: 'https://ch.example:8443' });
  });

  it('treats ONLINE_STATE_URL as an existing Redis holding the online state; in process otherwise', () => {
    expect(loadConfig({ env: {} }).online.store).toBe('memory');
    const c = loadConfig({ env: { ONLINE_STATE_URL: 'redis://cache.internal:6379' } });
    expect(c.online).toMatchObject({ store: 'redis', redisExternal: true, redisUrl: 'redis://cache.internal:6379' });
    expect(() => loadConfig({ env: { ONLINE_STATE_URL: 'cache.internal:6379' } })).toThrow(/online\.redisUrl: expected redis:\/\/host:port \(from environment variable ONLINE_STATE_URL\)/);
  });

  it('needs one address per local Kafka broker', () => {
    expect(() => loadConfig({ env: {}, overrides: { kafka: { localBrokers: 3 } } })).toThrow(/kafka\.brokers: a local stack of N brokers needs N addresses/);
    const c = loadConfig({ env: {}, overrides: { kafka: { localBrokers: 3, brokers: ['127.0.0.1:19092', '127.0.0.1:19192', '127.0.0.1:19292'] } } });
    expect(c.kafka.localBrokers).toBe(3);
  });

  it('layers file, then environment, then overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'feed.json');
    writeFileSync(file, JSON.stringify({ api: { port: 9000, maxEventsPerBatch: 100 }, seed: 7 }));
    const c = loadConfig({ file, env: { FEED_PORT: '9100' }, overrides: { seed: 8 } });
    expect(c.api.port).toBe(9100);
    expect(c.api.maxEventsPerBatch).toBe(100);
    expect(c.seed).toBe(8);
  });

  it('names the bad key and where it came from', () => {
    expect(() => loadConfig({ env: { FEED_PORT: 'eighty' } })).toThrow(/api\.port: .*\(from environment variable FEED_PORT\)/);
    expect(() => loadConfig({ env: { KAFKA_BROKERS: 'no-port-here' } })).toThrow(/kafka\.brokers\.0: expected host:port/);
    expect(() => loadConfig({ env: {}, overrides: { clickhouse: { database: 'drop table;' } } })).toThrow(ConfigError);
  });

  it('names the new key when a config still uses a renamed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'old.json');
    writeFileSync(file, JSON.stringify({ models: { ranker: { epochs: 3 } } }));
    expect(() => loadConfig({ file, env: {} })).toThrow(/models\.ranker: renamed: use models\.multitask \(check .*old\.json\)/);
    const examples = { models: { trainingData: { rankerExamples: 10 } } };
    expect(() => loadConfig({ env: {}, overrides: examples })).toThrow(/models\.trainingData\.rankerExamples: renamed: use models\.trainingData\.multitaskExamples/);
    expect(() => loadConfig({ env: {}, overrides: { online: { trendingBuckets: 60 } } })).toThrow(/online\.trendingBuckets: renamed: use online\.itemWindowMs/);
    const c = loadConfig({ env: {}, overrides: { models: { multitask: { epochs: 3 }, trainingData: { multitaskExamples: 10 } } } });
    expect(c.models.multitask.epochs).toBe(3);
    expect(c.models.trainingData.multitaskExamples).toBe(10);
    // The pipeline keeps its `ranker` section.
    expect(loadConfig({ env: {}, overrides: { ranker: { maxCandidates: 700 } } }).ranker.maxCandidates).toBe(700);
  });

  it('rejects a config file that is not JSON with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ file, env: {} })).toThrow(new RegExp(`Invalid config file ${file}`));
  });

  it('parses API keys with roles from FEED_API_KEYS', () => {
    const c = loadConfig({ env: { FEED_API_KEYS: 'app-key-123:shop,admin-key-456:ops:admin' } });
    expect(c.api.keys).toEqual([expect.objectContaining({ key: 'app-key-123', app: 'shop', admin: false }), expect.objectContaining({ key: 'admin-key-456', app: 'ops', admin: true })]);
    expect(() => loadConfig({ env: { FEED_API_KEYS: 'short:x' } })).toThrow(/api\.keys\.0\.key: API keys must be at least 8/);
  });
});
