import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { createApp } from '../feed-api/app.ts';
import type { AppEnv } from '../feed-api/env.ts';
import { eventsRoutes } from '../feed-api/routes/events.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { createKafka } from '../storage/kafka.ts';
import { isolatedConfig } from '../test/stack.ts';
import { startConsumer, type IngestConsumer } from './consumer.ts';
import { MemoryOnlineState } from './memory-online-state.ts';
import { startOnlineFollower } from './online-follower.ts';
import { createEventProducer, type EventProducer } from './producer.ts';
import { eventToRow } from './rows.ts';
import { eventCounts, itemStatsMismatch, makeEvent, scalar, waitUntil } from './test-helpers.ts';

const KEY = { 'x-api-key': 'demo-app-key' };

describe('events API → Kafka → ClickHouse', () => {
  let config: Config;
  let ch: ClickHouseClient;
  let producer: EventProducer;
  let consumer: IngestConsumer | undefined;
  let app: Hono<AppEnv>;
  const online = new MemoryOnlineState();

  const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.request('/v1/events', { method: 'POST', headers: { ...KEY, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    config = await isolatedConfig('ingest', { api: { maxEventsPerBatch: 50, maxBodyBytes: 64 * 1024 }, ingest: { retryInitialMs: 50 } });
    ch = createClickHouse(config);
    producer = await createEventProducer(config);
    app = createApp(config, [eventsRoutes({ config, producer, onlineState: online })]);
    consumer = await startConsumer(config);
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer?.close();
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
    await ch.close();
    const admin = createKafka(config).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.deadLetterTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('accepts a valid batch after Kafka acknowledges, stores it, and updates the local online state at once', async () => {
    const events = Array.from({ length: 30 }, (_, i) => makeEvent(i, 'ok'));
    const res = await post({ events });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: events.map((e) => e.event_id), rejected: [] });
    // Applied before the response: no waiting for the stream.
    expect(online.seenItems(events[0]!.user_id).has(events[0]!.item_id!)).toBe(true);

    await waitUntil('30 rows', async () => (await eventCounts(ch)).rows >= 30);
    expect(await eventCounts(ch)).toEqual({ rows: 30, distinct: 30 });
    const stored = await (await ch.query({ query: `SELECT kind, user_id, item_id, watch_ms, position FROM events WHERE event_id = 'ok-1'`, format: 'JSONEachRow' })).json();
    expect(stored).toEqual([{ kind: events[1]!.kind, user_id: events[1]!.user_id, item_id: events[1]!.item_id, watch_ms: events[1]!.watch_ms, position: -1 }]);
  });

  it('lists rejected events with reasons next to the accepted ones, and drops client retries', async () => {
    const good = [makeEvent(100, 'mix'), makeEvent(101, 'mix')];
    const res = await post({
      events: [
        good[0],
        { ...makeEvent(102, 'mix'), watch_ms: 'long', kind: 'play' },
        { ...makeEvent(103, 'mix'), event_id: undefined },
        { ...makeEvent(104, 'mix'), user_id: 'x'.repeat(100_00) },
        { ...makeEvent(105, 'mix'), kind: 'teleport' },
        'not an object',
        good[1],
        good[1],
        { ...makeEvent(106, 'mix'), ts: Date.now() + 86_400_000 },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: string[]; rejected: { index: number; event_id?: string; reason: string }[] };
    expect(body.accepted).toEqual(['mix-100', 'mix-101']);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(body.rejected[0]).toMatchObject({ event_id: 'mix-102', reason: expect.stringContaining('watch_ms') });
    expect(body.rejected[1]!.reason).toContain('event_id');
    expect(body.rejected[2]!.reason).toContain('user_id');
    expect(body.rejected[3]!.reason).toContain('kind');
    expect(body.rejected[5]).toMatchObject({ event_id: 'mix-101', reason: expect.stringContaining('repeated') });
    expect(body.rejected[6]!.reason).toContain('future');

    // The client retries the whole request: same ids, accepted again, stored once.
    const retry = await post({ events: good });
    expect(retry.status).toBe(200);
    await waitUntil('the retry to be consumed', () => consumer!.stats().duplicates >= 2);
    expect(await eventCounts(ch)).toEqual({ rows: 32, distinct: 32 });
    expect(await itemStatsMismatch(ch)).toEqual([]);
  });

  it('answers malformed requests with 4xx and reasons, never 5xx, and stores nothing from them', async () => {
    const cases: [string, Response, number, string][] = [
      ['invalid JSON', await post('{"events": [ {"event_id": '), 400, 'invalid_json'],
      ['wrong content-type', await post({ events: [makeEvent(1, 'ct')] }, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['no events array', await post({ event: makeEvent(1, 'x') }), 400, 'invalid_request'],
      ['events not an array', await post({ events: 'all of them' }), 400, 'invalid_request'],
      ['empty batch', await post({ events: [] }), 400, 'invalid_request'],
      ['too many events', await post({ events: Array.from({ length: 51 }, (_, i) => makeEvent(i, 'many')) }), 413, 'too_many_events'],
      ['oversized body', await post({ events: [{ ...makeEvent(1, 'big'), device: 'x'.repeat(100_000) }] }), 413, 'payload_too_large'],
      ['only invalid events', await post({ events: [{ kind: 'play' }, { ...makeEvent(2, 'bad'), ts: 'yesterday' }, null] }), 400, 'no_valid_events'],
    ];
    for (const [what, res, status, code] of cases) {
      const body = (await res.json()) as { error: { code: string; message: string }; rejected?: unknown[] };
      expect({ what, status: res.status, code: body.error.code }).toEqual({ what, status, code });
      expect(body.error.message.length).toBeGreaterThan(0);
    }
    const allBad = (await (await post({ events: [{ kind: 'play' }, null] })).json()) as { rejected: { index: number; reason: string }[] };
    expect(allBad.rejected.map((r) => r.index)).toEqual([0, 1]);

    // A marker event sent afterwards proves the consumer got past anything that was produced.
    expect((await post({ events: [makeEvent(999, 'marker')] })).status).toBe(200);
    await waitUntil('the marker', async () => (await scalar(ch, `SELECT count() FROM events WHERE event_id = 'marker-999'`)) === 1);
    expect(await eventCounts(ch)).toEqual({ rows: 33, distinct: 33 });
    expect(await scalar(ch, `SELECT count() FROM events WHERE event_id LIKE 'many-%' OR event_id LIKE 'big-%' OR event_id LIKE 'ct-%' OR event_id LIKE 'bad-%'`)).toBe(0);
  });

  it('dead-letters messages it cannot read, with the reason and the original payload and headers, and moves on', async () => {
    const kafka = createKafka(config);
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic: config.kafka.topic,
      acks: -1,
      messages: [
        { key: 'u1', value: '{not json', headers: { trace: 't-1' } },
        { key: 'u1', value: JSON.stringify({ ...makeEvent(1, 'v2'), schema_version: 2 }) },
        { key: 'u1', value: JSON.stringify(makeEvent(2, 'v9')), headers: { schema_version: '9' } },
        { key: 'u1', value: JSON.stringify({ ...makeEvent(3, 'nokind'), kind: 'teleport' }) },
        { key: 'u1', value: JSON.stringify(makeEvent(4, 'fine')) },
      ],
    });
    await raw.disconnect();

    const dlq = kafka.consumer({ groupId: `${config.ingest.groupId}.dlq-reader`, maxWaitTimeInMs: 100 });
    await dlq.connect();
    await dlq.subscribe({ topics: [config.kafka.deadLetterTopic], fromBeginning: true });
    const got: { value: string; headers: Record<string, string> }[] = [];
    await dlq.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        got.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    await waitUntil('4 dead letters', () => got.length >= 4);
    await dlq.disconnect();

    expect(got.map((g) => g.headers.dlq_reason)).toEqual([
      expect.stringContaining('not JSON'),
      expect.stringContaining('unsupported schema_version 2'),
      expect.stringContaining('schema_version header 9'),
      expect.stringContaining('kind'),
    ]);
    expect(got[0]).toMatchObject({ value: '{not json', headers: { trace: 't-1', dlq_source_topic: config.kafka.topic } });
    await waitUntil('the readable one', async () => (await scalar(ch, `SELECT count() FROM events WHERE event_id = 'fine-4'`)) === 1);
    expect(await scalar(ch, `SELECT count() FROM events WHERE event_id IN ('v2-1', 'v9-2', 'nokind-3')`)).toBe(0);
    expect(consumer!.stats().deadLettered).toBe(4);
  });

  it('skips a full Kafka replay after a restart: nothing is inserted twice', async () => {
    const before = await eventCounts(ch);
    await consumer!.stop();
    consumer = undefined;
    const admin = createKafka(config).admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: config.ingest.groupId, topic: config.kafka.topic, earliest: true });
    await admin.disconnect();

    // One new event, so we know when the replay has been processed.
    await producer.send([makeEvent(1, 'after-replay')]);
    consumer = await startConsumer(config);
    await waitUntil('the new event', async () => (await scalar(ch, `SELECT count() FROM events WHERE event_id = 'after-replay-1'`)) === 1);
    // Every partition replayed: each stored event was seen again and skipped.
    await waitUntil('the replay', () => consumer!.stats().duplicates >= before.rows);
    expect(await eventCounts(ch)).toEqual({ rows: before.rows + 1, distinct: before.distinct + 1 });
    expect(await itemStatsMismatch(ch)).toEqual([]);
  });

  it('lets another replica catch up: the follower bootstraps from ClickHouse and continues from Kafka without a gap', async () => {
    await consumer!.stop();
    consumer = undefined;
    // Produced but not yet in ClickHouse: only Kafka has these.
    const pending = [makeEvent(1, 'pending'), makeEvent(2, 'pending')];
    await producer.send(pending);

    const replica = new MemoryOnlineState();
    const follower = await startOnlineFollower(config, replica);
    try {
      expect(follower.stats().bootstrapped).toBeGreaterThanOrEqual(34);
      expect(replica.seenItems('u0').has('i0')).toBe(true); // ok-0, from ClickHouse
      await waitUntil('pending events from Kafka', () => replica.seenItems(pending[1]!.user_id).has(pending[1]!.item_id!), 15_000);
      const live = makeEvent(7, 'live');
      await producer.send([live]);
      await waitUntil('a live event', () => replica.recent(live.user_id, 1)[0]?.item_id === live.item_id, 5_000);
      expect(replica.itemCounters('i0')?.impressions).toBeGreaterThan(0);
    } finally {
      await follower.stop();
    }
    consumer = await startConsumer(config);
  });

  it('reads packed messages: stores the readable events and dead-letters only the unreadable line, as its original text', async () => {
    const good = [makeEvent(1, 'packed'), makeEvent(2, 'packed')];
    const bad = JSON.stringify({ ...makeEvent(3, 'packed'), watch_ms: -5, kind: 'play' });
    const raw = createKafka(config).producer();
    await raw.connect();
    await raw.send({
      topic: config.kafka.topic,
      acks: -1,
      messages: [{ key: 'u1', value: [JSON.stringify(good[0]), bad, JSON.stringify(good[1])].join('\n'), headers: { schema_version: '1', trace: 't-2' } }],
    });
    await raw.disconnect();

    await waitUntil('the packed events', async () => (await scalar(ch, `SELECT count() FROM events WHERE event_id LIKE 'packed-%'`)) === 2);
    const dlq = createKafka(config).consumer({ groupId: `${config.ingest.groupId}.dlq-packed`, maxWaitTimeInMs: 100 });
    await dlq.connect();
    await dlq.subscribe({ topics: [config.kafka.deadLetterTopic], fromBeginning: true });
    const lines: { value: string; headers: Record<string, string> }[] = [];
    await dlq.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        if (headers.dlq_source_line !== undefined) lines.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    await waitUntil('the dead-lettered line', () => lines.length >= 1);
    await dlq.disconnect();
    expect(lines).toEqual([{ value: bad, headers: expect.objectContaining({ dlq_source_line: '1', trace: 't-2', dlq_reason: expect.stringContaining('watch_ms') }) }]);
    expect(await scalar(ch, `SELECT count() FROM events WHERE event_id = 'packed-3'`)).toBe(0);
  });

  it('stores every field exactly as sent, free text with tabs, newlines and backslashes included', async () => {
    const now = Date.now();
    const events = [
      { ...makeEvent(0, 'exact', now), app: 'tab\there', device: 'line\nbreak \\ back\\slash\r\0', locale: 'zh-Hans-CN', request_id: 'req-1', position: 7 },
      { schema_version: 1 as const, event_id: 'exact-1', kind: 'purchase' as const, user_id: 'u-exact', product_id: 'p1', price: 19.99, quantity: 3, ts: now, app: '日本語 ✓', device: '' },
      { schema_version: 1 as const, event_id: 'exact-2', kind: 'follow' as const, user_id: 'u-exact', creator_id: 'c9', ts: now - 5 * 86_400_000 },
    ];
    const res = await post({ events });
    expect(res.status).toBe(200);
    await waitUntil('the exact events', async () => (await scalar(ch, `SELECT count() FROM events WHERE event_id LIKE 'exact-%'`)) === 3);
    const cols = 'event_id, schema_version, kind, user_id, item_id, product_id, creator_id, live_id, toUInt32(ts) AS ts, toString(ts_ms) AS ts_ms, watch_ms, duration_ms, price, quantity, request_id, position, app, device, locale';
    const stored = await (await ch.query({ query: `SELECT ${cols} FROM events WHERE event_id LIKE 'exact-%' ORDER BY event_id`, format: 'JSONEachRow' })).json();
    const expected = events.map((e) => {
      const { kafka_partition: _p, kafka_offset: _o, ingested_at: _i, ...row } = eventToRow(e, 0, 0, 0);
      return { ...row, ts_ms: String(row.ts_ms) };
    });
    expect(stored).toEqual(expected);
  });

  it('documents POST /v1/events in the OpenAPI document from the same schemas', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const op = doc.paths['/v1/events']?.post;
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['200', '400', '413', '415', '503']);
    expect(JSON.stringify(op)).toContain('event_id');
  });
});
