import { api, ApiRequestError } from '../shared/api.ts';

/** An engagement event as POST /v1/events takes it (schema: ingest/events.ts). */
export interface OutgoingEvent {
  kind: string;
  item_id?: string;
  product_id?: string;
  creator_id?: string;
  live_id?: string;
  watch_ms?: number;
  duration_ms?: number;
  price?: number;
  quantity?: number;
  request_id?: string;
  position?: number;
}

export interface SenderStatus {
  sent: number;
  rejected: number;
  lastError: string | null;
}

/**
 * Batches events and posts them about once a second, and right away on page hide (keepalive).
 * A batch that fails on the network, a 429 or a 5xx is retried on later flushes while the
 * backlog stays under 500 events;
 * events the API rejects are counted and logged, not resent.
 */
export class EventSender {
  private queue: (OutgoingEvent & { event_id: string; ts: number })[] = [];
  private retry: typeof this.queue = [];
  private timer: ReturnType<typeof setInterval>;
  private inflight: Promise<void> = Promise.resolve();
  readonly status: SenderStatus = { sent: 0, rejected: 0, lastError: null };

  constructor(
    private readonly key: string,
    private readonly userId: string,
    private readonly onStatus: (s: SenderStatus) => void,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    addEventListener('pagehide', this.onHide);
    document.addEventListener('visibilitychange', this.onHide);
  }

  private readonly onHide = () => {
    if (document.visibilityState === 'hidden') void this.flush(true);
  };

  send(e: OutgoingEvent): void {
    this.queue.push({ ...e, event_id: crypto.randomUUID(), ts: Date.now() });
  }

  /**
   * Sends what is queued. Flushes run one after another, so awaiting one also waits for any
   * batch still in flight (a hidden creator reaches the server before the next page request).
   */
  flush(keepalive = false): Promise<void> {
    this.inflight = this.inflight.then(() => this.post(keepalive));
    return this.inflight;
  }

  private async post(keepalive: boolean): Promise<void> {
    const batch = [...this.retry, ...this.queue];
    this.retry = [];
    this.queue = [];
    if (batch.length === 0) return;
    try {
      const res = await api<{ accepted?: string[]; rejected?: { index: number; reason: string }[] }>('/v1/events', {
        key: this.key,
        method: 'POST',
        body: { events: batch.map((e) => ({ ...e, user_id: this.userId, app: 'web', device: 'web' })) },
        keepalive,
      });
      const rejected = res?.rejected ?? [];
      for (const r of rejected) console.warn('event rejected', batch[r.index]?.kind, r.reason);
      this.status.sent += batch.length - rejected.length;
      this.status.rejected += rejected.length;
      this.status.lastError = rejected[0]?.reason ?? null;
    } catch (err) {
      this.status.lastError = (err as Error).message;
      const status = err instanceof ApiRequestError ? err.status : 0;
      // 4xx (other than rate limiting) will not get better by resending.
      if (status >= 400 && status < 500 && status !== 429) this.status.rejected += batch.length;
      else if (!keepalive && batch.length <= 500) this.retry = batch;
    }
    this.onStatus({ ...this.status });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    removeEventListener('pagehide', this.onHide);
    document.removeEventListener('visibilitychange', this.onHide);
    await this.flush(true);
  }
}
