import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode.ts';
import { ORIGIN_HEADER, packMessages, type Encoded } from './producer.ts';
import { makeEvent } from './test-helpers.ts';

const encode = (e: ReturnType<typeof makeEvent>, version = 1): Encoded => ({ user: e.user_id, version, json: JSON.stringify({ ...e, schema_version: version }) });
const asKafka = (m: { key?: unknown; value: unknown; headers?: unknown }, offset = 0): KafkaMessage =>
  ({ key: Buffer.from(String(m.key)), value: Buffer.from(String(m.value)), headers: m.headers, offset: String(offset), timestamp: '0', attributes: 0 }) as KafkaMessage;

describe('packMessages', () => {
  it("puts each user's events in order into messages keyed by the user, at most maxEvents each", () => {
    const events = Array.from({ length: 50 }, (_, i) => makeEvent(i, 'p'));
    for (const e of events) e.user_id = `u${e.event_id.length % 3}`; // three users, interleaved
    const messages = packMessages(
      events.map((e) => encode(e)),
      7,
    );
    expect(messages.every((m) => String(m.value).split('\n').length <= 7)).toBe(true);
    const decoded = messages.flatMap((m) => decodeMessage(asKafka(m)).map((d) => ({ key: String(m.key), d })));
    expect(decoded.every(({ key, d }) => d.ok && d.event.user_id === key)).toBe(true);
    // Nothing lost or repeated, and each user's events keep their order.
    const ids = decoded.map(({ d }) => (d.ok ? d.event.event_id : ''));
    expect([...ids].sort()).toEqual(events.map((e) => e.event_id).sort());
    for (const user of ['u0', 'u1', 'u2']) {
      expect(ids.filter((id) => events.find((e) => e.event_id === id)!.user_id === user)).toEqual(events.filter((e) => e.user_id === user).map((e) => e.event_id));
    }
  });

  it('writes a lone event as a plain JSON message and never mixes schema versions in a message', () => {
    const [a, b] = [makeEvent(1, 'v'), makeEvent(2, 'v')];
    b.user_id = a.user_id;
    const messages = packMessages([encode(a), encode(b, 2)], 100);
    expect(messages.map((m) => [m.headers?.schema_version, JSON.parse(String(m.value)).event_id])).toEqual([
      ['1', a.event_id],
      ['2', b.event_id],
    ]);
    expect(packMessages([encode(a)], 1)[0]!.value).toBe(JSON.stringify(a));
  });

  it('names the producing replica in every message when given one', () => {
    const [a, b] = [makeEvent(1, 'o'), makeEvent(2, 'o')];
    expect(packMessages([encode(a), encode(b)], 100, 'replica-1').map((m) => m.headers?.[ORIGIN_HEADER])).toEqual(['replica-1', 'replica-1']);
    expect(packMessages([encode(a)], 100)[0]!.headers?.[ORIGIN_HEADER]).toBeUndefined();
  });
});

describe('decodeMessage', () => {
  it('reads each line of a packed message on its own and says which line cannot be read', () => {
    const good = JSON.stringify(makeEvent(1, 'd'));
    const decoded = decodeMessage(asKafka({ key: 'u1', value: [good, '{oops', '', JSON.stringify({ ...makeEvent(2, 'd'), schema_version: 3 })].join('\n') }));
    expect(decoded).toEqual([
      { ok: true, event: JSON.parse(good) },
      { ok: false, reason: expect.stringContaining('not JSON'), line: { index: 1, text: '{oops' } },
      { ok: false, reason: 'unsupported schema_version 3', line: { index: 3, text: expect.stringContaining('"d-2"') } },
    ]);
  });

  it('rejects the whole message for an unsupported schema_version header or an empty payload', () => {
    expect(decodeMessage(asKafka({ value: JSON.stringify(makeEvent(1)), headers: { schema_version: '9' } }))).toEqual([{ ok: false, reason: 'unsupported schema_version header 9' }]);
    expect(decodeMessage(asKafka({ value: '' }))).toEqual([{ ok: false, reason: 'empty payload' }]);
  });
});
