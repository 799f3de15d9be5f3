import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { ensureTopics } from '../storage/kafka.ts';
import { createCatalogProducer, parseCatalogRow, type CatalogWrite, type WritableTable } from './catalog-writes.ts';

export interface PublishFileResult {
  published: number;
  rejected: { line: number; reason: string }[];
}

/** Rows sent to Kafka per produce call while reading the file. */
const BATCH = 5_000;

/**
 * Bulk catalog writes (`feed publish --file x.jsonl`): one row per line, validated like
 * `POST /v1/<table>`, produced to the catalog topic in batches as the file is read, so a
 * million-row file never sits in memory. Invalid lines are reported, valid ones published.
 */
export async function publishFile(config: Config, table: WritableTable, file: string): Promise<PublishFileResult> {
  await withContext('preparing the catalog topic', () => ensureTopics(config));
  const producer = await createCatalogProducer(config);
  const result: PublishFileResult = { published: 0, rejected: [] };
  let batch: CatalogWrite[] = [];
  const flush = async () => {
    await producer.send(batch);
    result.published += batch.length;
    batch = [];
  };
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (!text.trim()) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        result.rejected.push({ line, reason: `not JSON: ${(err as Error).message}` });
        continue;
      }
      const parsed = parseCatalogRow(table, raw, Math.floor(Date.now() / 1000));
      if (!parsed.ok) result.rejected.push({ line, reason: parsed.reason });
      else batch.push(parsed.write);
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    await producer.close();
  }
  return result;
}
