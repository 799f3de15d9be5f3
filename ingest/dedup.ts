import type { KafkaMessage } from 'kafkajs';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { latestStoredEvents, storedEventsBetween, storedMaxOffset } from '../storage/event-offsets.ts';
import { deadLetterMessage } from './dead-letter.ts';
import { decodeMessage } from './decode.ts';
import { eventKey } from './events.ts';
import { RecentIds } from './recent-ids.ts';
import { eventToTsv } from './rows.ts';

/** What the consumer knows of a partition it was assigned (see consumer.ts for the two dedup rules). */
export interface PartitionState {
  /** Highest offset stored in ClickHouse when the partition was assigned; -1 when none. */
  storedMax: number;
  recent: RecentIds;
}

/** A row waiting for its insert: its Kafka offset and eventKey (for dedup on retry) and its TSV line. */
export interface PendingRow {
  offset: number;
  id: string;
  line: string;
}

/** Reads a newly assigned partition's highest stored offset and refills its window of recent ids. */
export async function loadPartitionState(client: ClickHouseClient, partition: number, recentIdsPerPartition: number): Promise<PartitionState> {
  const storedMax = await storedMaxOffset(client, partition);
  const recent = new RecentIds(recentIdsPerPartition);
  if (storedMax >= 0) {
    const ids = await latestStoredEvents(client, partition, recentIdsPerPartition);
    for (let i = ids.length - 1; i >= 0; i--) recent.add(eventKey(ids[i]!));
  }
  return { storedMax, recent };
}

/** Events at offsets [lo, hi] already stored for this partition, keyed `offset/eventKey`. */
export async function storedKeys(client: ClickHouseClient, partition: number, lo: number, hi: number): Promise<Set<string>> {
  const rows = await storedEventsBetween(client, partition, lo, hi);
  return new Set(rows.map((r) => `${r.o}/${eventKey(r)}`));
}

/** A batch sorted out: rows to insert, dead letters, and the duplicates skipped by each rule. */
export interface SortedBatch {
  rows: PendingRow[];
  dead: ReturnType<typeof deadLetterMessage>[];
  /** Already stored at their offset (a Kafka replay). */
  replayed: number;
  /** In the partition's window of recent ids (a client retry). */
  repeated: number;
}

/**
 * Decodes a batch's messages and drops what was stored before: events in `present` (stored at
 * that offset) and events whose id is in the partition's recent window, which this adds to.
 */
export function sortBatch(messages: readonly KafkaMessage[], source: { topic: string; partition: number }, state: PartitionState, present: ReadonlySet<string>, nowS: number): SortedBatch {
  const out: SortedBatch = { rows: [], dead: [], replayed: 0, repeated: 0 };
  for (const m of messages) {
    const offset = Number(m.offset);
    for (const decoded of decodeMessage(m)) {
      if (!decoded.ok) {
        out.dead.push(deadLetterMessage(m, source, decoded.reason, decoded.line));
        continue;
      }
      const id = eventKey(decoded.event);
      if (present.has(`${offset}/${id}`)) {
        state.recent.add(id);
        out.replayed++;
      } else if (!state.recent.add(id)) {
        out.repeated++;
      } else {
        out.rows.push({ offset, id, line: eventToTsv(decoded.event, source.partition, offset, nowS) });
      }
    }
  }
  return out;
}
