import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/** Where an unreadable message came from: its topic and partition. */
export interface MessageSource {
  topic: string;
  partition: number;
}

/**
 * The dead-letter copy of an unreadable message (or of the unreadable line of a packed one):
 * the original key, payload and headers, plus `dlq_*` headers saying why and where from.
 */
export function deadLetterMessage(m: KafkaMessage, source: MessageSource, reason: string, line?: { index: number; text: string }): Message & { headers: IHeaders } {
  const headers: IHeaders = { ...(m.headers ?? {}) };
  headers.dlq_reason = reason.slice(0, 1000);
  if (line) headers.dlq_source_line = String(line.index);
  headers.dlq_source_topic = source.topic;
  headers.dlq_source_partition = String(source.partition);
  headers.dlq_source_offset = m.offset;
  headers.dlq_at = new Date().toISOString();
  return { key: m.key, value: line ? line.text : m.value, headers };
}
