import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { sleep } from '../core/errors.ts';

/** This consumer lost its group membership (a rebalance) mid-batch: abandon the batch, uncommitted. */
export class GroupLost extends Error {}

/** Heartbeats (kafkajs sends one at most every heartbeatInterval); false when the membership is gone. */
export async function stillMember(payload: EachBatchPayload): Promise<boolean> {
  if (!payload.isRunning() || payload.isStale()) return false;
  try {
    await payload.heartbeat();
    return true;
  } catch {
    return false;
  }
}

export interface RetryOptions {
  /** Backoff from `initialMs`, doubling up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  log: Logger;
  /** Called once per failed attempt (not for GroupLost). */
  onFailure?: () => void;
}

/**
 * Runs `attempt` until it succeeds, pausing the partition and backing off between tries while
 * heartbeats keep the group membership. Returns false when the batch must be abandoned
 * (stopping, the partition was revoked, or `attempt` threw GroupLost). The partition is resumed
 * either way: kafkajs keeps a pause across rebalances, so a batch abandoned while paused would
 * otherwise leave its partition unread for good.
 */
export async function retrying(what: string, payload: EachBatchPayload, attempt: (retry: boolean) => Promise<void>, opts: RetryOptions): Promise<boolean> {
  let paused: (() => void) | undefined;
  try {
    return await retryLoop(what, payload, attempt, opts, () => (paused ??= payload.pause()));
  } finally {
    paused?.();
  }
}

async function retryLoop(what: string, payload: EachBatchPayload, attempt: (retry: boolean) => Promise<void>, opts: RetryOptions, pause: () => void): Promise<boolean> {
  const { log } = opts;
  let failures = 0;
  let delay = opts.initialMs;
  for (;;) {
    try {
      await attempt(failures > 0);
      if (failures > 0) log.info({ partition: payload.batch.partition, failures }, `${what} succeeded after retrying`);
      return true;
    } catch (err) {
      if (err instanceof GroupLost) return false;
      failures++;
      opts.onFailure?.();
      if (failures === 1 || failures % 10 === 0) {
        log.warn({ partition: payload.batch.partition, failures, retryInMs: delay, err: (err as Error).message }, `${what} failed; partition paused, retrying`);
      }
      pause();
    }
    const until = Date.now() + delay;
    while (Date.now() < until) {
      if (!payload.isRunning() || payload.isStale()) return false;
      await sleep(Math.min(1000, until - Date.now()));
      try {
        await payload.heartbeat();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'heartbeat failed during retry; abandoning the batch uncommitted');
        return false;
      }
    }
    delay = Math.min(opts.maxMs, delay * 2);
  }
}
