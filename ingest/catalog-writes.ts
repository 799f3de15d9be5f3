/**
 * Catalog writes (items, products, creators, live streams) and user deletions as Kafka
 * messages on `kafka.catalogTopic`, keyed by `<table>:<id>` so that the writes of one id stay
 * in order on one partition and compaction keeps the newest. The ingest process inserts them
 * into ClickHouse (catalog-consumer.ts); every serving replica applies them to its catalog
 * (catalog-follower.ts).
 */
import type { Producer } from 'kafkajs';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { TIMED_OUT, withContext, withinMs, wrapError } from '../core/errors.ts';
import type { CatalogTables } from '../storage/catalog.ts';
import { idempotentProducer } from '../storage/kafka.ts';
import { describeIssues, idString, localeTag } from './events.ts';

const id = idString;
/** An optional reference to another row; absent, empty or null is none. */
const optionalId = z
  .union([id, z.literal(''), z.null()])
  .default('')
  .transform((v) => v ?? '');
const text = (max: number) => z.string().max(max);
const locale = localeTag;
/** Epoch seconds (as GET /v1/items answers) or ISO-8601 with offset; stored as epoch seconds. */
const time = z.union([z.number().int().min(0).max(4_294_967_295), z.iso.datetime({ offset: true })]).transform((v) => (typeof v === 'number' ? v : Math.floor(Date.parse(v) / 1000)));
const flag = z.boolean().transform((b) => (b ? 1 : 0));

const ItemWriteSchema = z.object({
  item_id: id,
  creator_id: id,
  title: text(200),
  category: text(64).min(1),
  locale,
  duration_ms: z.number().int().min(1).max(86_400_000),
  published_at: time.optional().describe('epoch seconds or ISO-8601; default: now'),
  product_id: optionalId.describe('attached product, shown as a card on the video'),
  available: flag.default(1).describe('false retires the video: never served again'),
});

/** A video as a publisher sends it (`POST /v1/items` takes an array of these). */
export type ItemWrite = z.input<typeof ItemWriteSchema>;

const ProductWriteSchema = z.object({
  product_id: id,
  title: text(200),
  category: text(64).min(1),
  price: z.number().min(0).max(10_000_000),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY')
    .default('CNY'),
  image_url: text(500).default(''),
  seller_id: optionalId,
  stock: z.number().int().min(0).max(1_000_000_000),
  available: flag.default(1).describe('false retires the product'),
});

const CreatorWriteSchema = z.object({
  creator_id: id,
  name: text(100).min(1),
  locale,
  category: text(64).min(1),
  is_kol: flag.default(0),
  followers: z.number().int().min(0).max(4_000_000_000).default(0),
});

const LiveStreamWriteSchema = z
  .object({
    live_id: id,
    creator_id: id,
    product_id: optionalId,
    title: text(200),
    starts_at: time,
    ends_at: time.describe('a live stream is on air from starts_at until ends_at; retiring it ends it now'),
  })
  .refine((l) => l.ends_at >= l.starts_at, { path: ['ends_at'], message: 'must not be before starts_at' });

/** The catalog tables writable through the API, with their id column and write schema. */
export const WRITABLE = {
  items: { idColumn: 'item_id', schema: ItemWriteSchema },
  products: { idColumn: 'product_id', schema: ProductWriteSchema },
  creators: { idColumn: 'creator_id', schema: CreatorWriteSchema },
  live_streams: { idColumn: 'live_id', schema: LiveStreamWriteSchema },
} as const;
export type WritableTable = keyof typeof WRITABLE;
export const WRITABLE_TABLES = Object.keys(WRITABLE) as WritableTable[];

/** One row written to a catalog table, versioned by `updated_at` (epoch seconds, ClickHouse's ReplacingMergeTree version). */
export type CatalogWrite = { [T in WritableTable]: { table: T; row: CatalogTables[T]; updated_at: number } }[WritableTable];
/** Every replica forgets this person's online state; ClickHouse rows are removed by the API's mutation. */
interface UserDeletion {
  forget_user: string;
  at: number;
}
export type CatalogMessage = CatalogWrite | UserDeletion;

/** Validates one raw row for `table`; `nowSec` fills a missing published_at. Never throws. */
export function parseCatalogRow(table: WritableTable, raw: unknown, nowSec: number): { ok: true; write: CatalogWrite } | { ok: false; reason: string } {
  const r = WRITABLE[table].schema.safeParse(raw);
  if (!r.success) return { ok: false, reason: describeIssues(r.error) };
  const row = table === 'items' ? { ...r.data, published_at: (r.data as { published_at?: number }).published_at ?? nowSec } : r.data;
  return { ok: true, write: { table, row, updated_at: nowSec } as CatalogWrite };
}

export function rowId(w: CatalogWrite): string {
  return (w.row as unknown as Record<string, string>)[WRITABLE[w.table].idColumn]!;
}

function messageKey(m: CatalogMessage): string {
  return 'forget_user' in m ? `users:${m.forget_user}` : `${m.table}:${rowId(m)}`;
}

/** Decodes one message value; undefined for anything that is not a catalog message. */
export function decodeCatalogMessage(value: Buffer | null): CatalogMessage | undefined {
  if (!value) return undefined;
  try {
    const m = JSON.parse(value.toString('utf8')) as Partial<CatalogWrite & UserDeletion>;
    if (typeof m.forget_user === 'string') return m as UserDeletion;
    if (typeof m.table === 'string' && m.table in WRITABLE && typeof m.row === 'object' && typeof m.updated_at === 'number') return m as CatalogWrite;
  } catch {
    // not JSON: skipped like any other foreign message
  }
  return undefined;
}

export interface CatalogProducer {
  /** Resolves once Kafka acknowledged every message (acks = all). */
  send(messages: readonly CatalogMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** Messages per produce request (bulk publishing sends many requests). */
const CHUNK = 1000;

export async function createCatalogProducer(config: Config): Promise<CatalogProducer> {
  // send() still answers after produceTimeoutMs.
  const producer: Producer = idempotentProducer(config);
  await withContext(`connecting the catalog producer to Kafka ${config.kafka.brokers.join(',')}`, () => producer.connect());
  const topic = config.kafka.catalogTopic;
  return {
    async send(messages) {
      for (let i = 0; i < messages.length; i += CHUNK) {
        const chunk = messages.slice(i, i + CHUNK);
        try {
          const sent = producer.send({ topic, acks: -1, messages: chunk.map((m) => ({ key: messageKey(m), value: JSON.stringify(m) })) });
          if ((await withinMs(sent, config.ingest.produceTimeoutMs)) === TIMED_OUT) throw new Error(`no acknowledgement within ${config.ingest.produceTimeoutMs} ms`);
        } catch (err) {
          // kafka_unavailable: retrying the same writes is safe (upserts).
          throw wrapError(`producing ${chunk.length} catalog messages to Kafka topic ${topic}`, err, 'kafka_unavailable');
        }
      }
    },
    close: () => producer.disconnect(),
  };
}
