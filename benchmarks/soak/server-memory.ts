import type { FeedService } from '../../feed-api/service.ts';
import { type ThreadMemory, threadMemory } from '../../models/thread-memory.ts';

/**
 * The parts of a serving process's RSS that can be named, read inside the server (the soak asks
 * for them after each window through the harness's `memory` call): the serving thread, the
 * online-training thread (its own isolate and tfjs heap), array buffers and the FAISS index.
 */
export interface ServerMemory {
  rss: number;
  serving: ThreadMemory;
  /** Process-wide ArrayBuffer backing stores (item vectors, embedding tables, messages in flight). */
  array_buffers: number;
  /** The serving ANN index, serialised (faiss-node reports no native size: this is its data). */
  ann_bytes: number;
  /** Undefined when no training thread runs. */
  training: ThreadMemory | undefined;
}

export async function serverMemory(service: FeedService): Promise<ServerMemory> {
  const training = await service.learning.training?.memory();
  const serving = threadMemory();
  const ann = service.models.current?.ann;
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, serving, array_buffers: arrayBuffers, ann_bytes: ann ? ann.index.toBuffer().length : 0, training };
}
