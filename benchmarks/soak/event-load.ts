import { Agent, request } from 'node:http';
import type { EngagementEvent } from '../../ingest/events.ts';
import { makeEvent } from '../../ingest/test-helpers.ts';

/** Batches per second: 2,000 events/s travel as 10 POSTs of 200, as an app's batching uploader would send them. */
const BATCHES_PER_S = 10;
/** Requests in flight beyond this count as errors: a server that falls behind must show, not queue in the client. */
const MAX_IN_FLIGHT = 64;

interface EventWindow {
  accepted: number;
  errors: number;
  first_error?: string;
}

export interface EventLoad {
  /** What happened since the previous call. */
  take(): EventWindow;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/**
 * The soak's `i`-th event: users in turn, and items spread over the sample by a multiplicative
 * hash, so each user meets new items as real traffic does and per-user state (seen sets,
 * histories) fills towards its caps. (An earlier `(i * 104_729) % items` gave each user 4 items.)
 */
export function soakEvent(i: number, opts: { runId: string; users: number; items: readonly string[] }, now: number): EngagementEvent {
  const spread = (Math.imul(i, 0x9e3779b1) >>> 0) / 2 ** 32;
  return { ...makeEvent(i, opts.runId, now), user_id: `u${(i * 7919) % opts.users}`, item_id: opts.items[Math.floor(spread * opts.items.length)]! };
}

/**
 * Open-loop POST /v1/events at `rate` events/s: a batch is due every 1/BATCHES_PER_S s whether
 * or not earlier ones have answered. Events are plays, likes and the like by the world's users
 * on the world's items, with unique ids per run.
 */
export function startEventLoad(opts: { baseUrl: string; apiKey: string; rate: number; users: number; items: string[]; runId: string }): EventLoad {
  const url = new URL(opts.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT, timeout: 4000 });
  const perBatch = Math.max(1, Math.round(opts.rate / BATCHES_PER_S));
  let window: EventWindow = { accepted: 0, errors: 0 };
  let seq = 0;
  let inFlight = 0;
  let onDrained: (() => void) | undefined;

  const fail = (reason: string) => {
    window.errors += 1;
    window.first_error ??= reason;
  };

  const post = (events: EngagementEvent[]) => {
    if (inFlight >= MAX_IN_FLIGHT) return fail(`more than ${MAX_IN_FLIGHT} batches in flight`);
    inFlight++;
    const done = () => {
      if (--inFlight === 0) onDrained?.();
    };
    const body = JSON.stringify({ events });
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/v1/events',
        method: 'POST',
        headers: { 'x-api-key': opts.apiKey, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) window.accepted += events.length;
          else fail(`HTTP ${res.statusCode}`);
          done();
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', (err) => {
      fail(err.message);
      done();
    });
    req.end(body);
  };

  const batch = (): EngagementEvent[] => {
    const now = Date.now();
    return Array.from({ length: perBatch }, () => soakEvent(seq++, opts, now));
  };

  const start = performance.now();
  let due = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = performance.now();
    while (start + (due * 1000) / BATCHES_PER_S <= now) {
      post(batch());
      due++;
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, start + (due * 1000) / BATCHES_PER_S - performance.now()));
  };
  tick();

  return {
    take() {
      const w = window;
      window = { accepted: 0, errors: 0 };
      return w;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (inFlight > 0) await new Promise<void>((r) => (onDrained = r));
      agent.destroy();
    },
  };
}
