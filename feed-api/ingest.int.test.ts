import type { Hono } from 'hono';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepMerge } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createApp } from './app.ts';
import type { AppEnv } from './env.ts';
import { eventsRoutes } from './routes/events.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { createKafka } from '../storage/kafka.ts';
import { dropIsolated, isolatedConfig } from '../test/stack.ts';
import { startConsumer, type IngestConsumer } from '../ingest/consumer.ts';
import { MemoryOnlineState } from '../ingest/memory-online-state.ts';
import type { OnlineState } from '../ingest/online-state.ts';
import { startOnlineFollower } from '../ingest/online-follower.ts';
import { createEventProducer, type EventProducer } from '../ingest/producer.ts';
import { eventToRow } from '../ingest/rows.ts';
import { eventCounts, itemStatsMismatch, makeEvent, scalar, waitUntil } from '../ingest/test-helpers.ts';

const KEY = { 'x-api-key': 'demo-app-key' };

/** The events API, producer and ingest consumer on a topic and database of their own. */
async function startPipeline(name: string, extra: Record<string, unknown> = {}, onlineState?: OnlineState) {
  const config = await isolatedConfig(name, deepMerge({ ingest: { retryInitialMs: 50 } }, extra));
  const ch = createClickHouse(config);
  const producer = await createEventProducer(config);
  const app = createApp(config, [eventsRoutes({ config, producer, ...(onlineState ? { onlineState } : {}) })]);
  const consumer: IngestConsumer | undefined = await startConsumer(config);
  return { config, ch, producer, app, consumer };
}

async function stopPipeline(p: { config: Config; ch: ClickHouseClient; producer: EventProducer; consumer?: IngestConsumer | undefined }): Promise<void> {
  await p.consumer?.stop();
  await p.producer?.close();
  await p.ch.close();
  await dropIsolated(p.config);
}

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
    ({ config, ch, producer, app, consumer } = await startPipeline('ingest', { api: { maxEventsPerBatch: 50, maxBodyBytes: 64 * 1024 } }, online));
  });

  afterAll(() => stopPipeline({ config, ch, producer, consumer }));

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
    const follower = await startOnlineFollower(config, replica, { replicaId: 'replica-under-test' });
    const ownProducer = await createEventProducer(config, { origin: 'replica-under-test' });
    try {
      expect(follower.stats().bootstrapped).toBeGreaterThanOrEqual(34);
      expect(replica.seenItems('u0').has('i0')).toBe(true); // ok-0, from ClickHouse
      await waitUntil('pending events from Kafka', () => replica.seenItems(pending[1]!.user_id).has(pending[1]!.item_id!), 15_000);
      const live = makeEvent(7, 'live');
      await producer.send([live]);
      await waitUntil('a live event', () => replica.recent(live.user_id, 1)[0]?.item_id === live.item_id, 5_000);
      expect(replica.itemCounters('i0')?.impressions).toBeGreaterThan(0);
      // What the replica's own producer wrote (its POST applied it) is skipped; another's, behind it on the same partition, is not.
      const own = { ...makeEvent(2, 'own'), user_id: 'u-origin', item_id: 'i-own' };
      const other = { ...makeEvent(2, 'other'), user_id: 'u-origin', item_id: 'i-other' };
      await ownProducer.send([own]);
      await producer.send([other]);
      await waitUntil('the other replica’s event', () => replica.seenItems('u-origin').has('i-other'), 5_000);
      expect(replica.seenItems('u-origin').has('i-own')).toBe(false);
      // Counted as the replica's own (health reports it), not as applied from the stream.
      expect(follower.stats().own).toBe(1);
    } finally {
      await ownProducer.close();
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
    const cols =
      'event_id, schema_version, kind, user_id, item_id, product_id, creator_id, live_id, toUInt32(ts) AS ts, toString(ts_ms) AS ts_ms, watch_ms, duration_ms, price, quantity, request_id, position, app, device, locale';
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

/** The partition kafkajs's default partitioner gives a user's messages (they are keyed by user_id). */
function partitionOf(user: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key: user, value: null } });
}

describe('event identity is (user_id, event_id)', () => {
  let p: Awaited<ReturnType<typeof startPipeline>>;
  beforeAll(async () => {
    p = await startPipeline('identity');
  });
  afterAll(() => stopPipeline(p));

  it('stores the same event_id from two users once each, on the same and on different partitions, and still drops retries', async () => {
    const users = Array.from({ length: 50 }, (_, i) => `id-user-${i}`);
    const [a, ...rest] = users;
    const sameAsA = rest.find((u) => partitionOf(u, p.config.kafka.partitions) === partitionOf(a!, p.config.kafka.partitions))!;
    const otherThanA = rest.find((u) => partitionOf(u, p.config.kafka.partitions) !== partitionOf(a!, p.config.kafka.partitions))!;
    const post = (events: unknown[]) => p.app.request('/v1/events', { method: 'POST', headers: { ...KEY, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    const shared = (user: string) => Array.from({ length: 40 }, (_, i) => ({ ...makeEvent(i, 'shared'), user_id: user }));

    const statuses: number[] = [];
    for (const user of [a!, sameAsA, otherThanA]) statuses.push((await post(shared(user))).status);
    // Both users' events in one request as well: not "repeated in this batch".
    const oneRequest = (await (
      await post([
        { ...makeEvent(1, 'both'), user_id: a },
        { ...makeEvent(1, 'both'), user_id: sameAsA },
      ])
    ).json()) as { accepted: string[] };
    expect(statuses).toEqual([200, 200, 200]);
    expect(oneRequest.accepted).toEqual(['both-1', 'both-1']);

    await waitUntil('122 rows', async () => (await scalar(p.ch, 'SELECT count() FROM events')) >= 122, 20_000);
    // A retry of user A's events is still a duplicate.
    expect((await post(shared(a!))).status).toBe(200);
    await waitUntil('the retry to be skipped', () => p.consumer!.stats().duplicates >= 40);
    const perUser = await (
      await p.ch.query({ query: `SELECT user_id, toString(count()) AS n, toString(any(kafka_partition)) AS p FROM events GROUP BY user_id ORDER BY user_id`, format: 'JSONEachRow' })
    ).json<{ user_id: string; n: string; p: string }>();
    const byUser = Object.fromEntries(perUser.map((r) => [r.user_id, r]));
    expect([byUser[a!]?.n, byUser[sameAsA]?.n, byUser[otherThanA]?.n]).toEqual(['41', '41', '40']);
    expect(byUser[a!]?.p).toBe(byUser[sameAsA]?.p);
    expect(byUser[a!]?.p).not.toBe(byUser[otherThanA]?.p);
    expect(await eventCounts(p.ch)).toEqual({ rows: 122, distinct: 122 });
  });
});
