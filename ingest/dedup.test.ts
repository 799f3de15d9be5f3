import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type PartitionState, sortBatch } from './dedup.ts';
import { eventKey } from './events.ts';
import { RecentIds } from './recent-ids.ts';
import { makeEvent } from './test-helpers.ts';

const source = { topic: 'engagement', partition: 3 };

function message(offset: number, value: string): KafkaMessage {
  return { key: Buffer.from('k'), value: Buffer.from(value), offset: String(offset), timestamp: '0', attributes: 0, headers: {} };
}

function freshState(): PartitionState {
  return { storedMax: -1, recent: new RecentIds(100) };
}

describe('sortBatch', () => {
  it('keeps new events as rows at their offset, and dead-letters what cannot be read with where it came from', () => {
    const [a, b] = [makeEvent(1), makeEvent(2)];
    const sorted = sortBatch([message(10, JSON.stringify(a)), message(11, '{not json'), message(12, JSON.stringify(b))], source, freshState(), new Set(), 0);
    expect(sorted.rows.map((r) => [r.offset, r.id])).toEqual([
      [10, eventKey(a)],
      [12, eventKey(b)],
    ]);
    expect(sorted.rows[0]!.line.endsWith('\n')).toBe(true);
    expect(sorted.dead).toHaveLength(1);
    expect(sorted.dead[0]!.headers).toMatchObject({ dlq_source_topic: 'engagement', dlq_source_partition: '3', dlq_source_offset: '11' });
    expect(String(sorted.dead[0]!.headers.dlq_reason)).toMatch(/not JSON/);
    expect([sorted.replayed, sorted.repeated]).toEqual([0, 0]);
  });

  it('skips an event stored at its offset as a replay, and the same event at a new offset as a client retry', () => {
    const e = makeEvent(5);
    const state = freshState();
    const replay = sortBatch([message(20, JSON.stringify(e))], source, state, new Set([`20/${eventKey(e)}`]), 0);
    expect([replay.rows.length, replay.replayed, replay.repeated]).toEqual([0, 1, 0]);
    // The replayed event is now in the window: sent again later, it is a retry.
    const retry = sortBatch([message(30, JSON.stringify(e))], source, state, new Set(), 0);
    expect([retry.rows.length, retry.replayed, retry.repeated]).toEqual([0, 0, 1]);
  });

  it('stores each readable line of a packed message and dead-letters the bad line alone', () => {
    const [a, b] = [makeEvent(7), makeEvent(8)];
    const sorted = sortBatch([message(40, `${JSON.stringify(a)}\n{"event_id":\n${JSON.stringify(b)}`)], source, freshState(), new Set(), 0);
    expect(sorted.rows.map((r) => r.id)).toEqual([eventKey(a), eventKey(b)]);
    expect(sorted.dead.map((d) => [d.headers.dlq_source_line, String(d.value)])).toEqual([['1', '{"event_id":']]);
  });
});
