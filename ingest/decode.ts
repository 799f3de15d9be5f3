import type { KafkaMessage } from 'kafkajs';
import { EVENT_SCHEMA_VERSION, parseEvent, type EngagementEvent } from './events.ts';

/** Payload versions the ingest consumer can read; anything else is dead-lettered. */
const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [EVENT_SCHEMA_VERSION];

/** One event read from a message, or why it cannot be read; `line` is its text when the message held several. */
export type Decoded = { ok: true; event: EngagementEvent } | { ok: false; reason: string; line?: { index: number; text: string } };

function decodeLine(text: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `payload is not JSON: ${(err as Error).message}` };
  }
  const version = (raw as { schema_version?: unknown } | null)?.schema_version ?? EVENT_SCHEMA_VERSION;
  if (typeof version !== 'number' || !SUPPORTED_SCHEMA_VERSIONS.includes(version)) {
    return { ok: false, reason: `unsupported schema_version ${JSON.stringify(version)}` };
  }
  // The producer's output passes the schema's fast path; anything else gets the full check.
  const parsed = parseEvent(raw);
  return parsed.ok ? parsed : { ok: false, reason: `invalid event: ${parsed.reason}` };
}

/**
 * Reads one Kafka message into its events: one JSON event, or several of one user, one per
 * line (see packMessages in producer.ts). Says why each one that cannot be read is unreadable;
 * a bad header or an empty payload makes the whole message unreadable.
 */
export function decodeMessage(m: KafkaMessage): Decoded[] {
  const header = m.headers?.schema_version;
  if (header !== undefined) {
    const v = Number(String(header));
    if (!SUPPORTED_SCHEMA_VERSIONS.includes(v)) return [{ ok: false, reason: `unsupported schema_version header ${String(header)}` }];
  }
  if (!m.value || m.value.length === 0) return [{ ok: false, reason: 'empty payload' }];
  const text = m.value.toString('utf8');
  if (!text.includes('\n')) return [decodeLine(text)];
  const out: Decoded[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.length === 0) return;
    const d = decodeLine(line);
    out.push(d.ok ? d : { ...d, line: { index, text: line } });
  });
  return out;
}
