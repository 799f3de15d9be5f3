import { Agent, request } from 'node:http';
import { summarize } from '../harness/stats.ts';

export interface OpenLoopOptions {
  /** Path (with query) of request number `i`, e.g. a feed for user i mod users. */
  path: (i: number) => string;
  baseUrl: string;
  /** Offered rate, requests per second, independent of how fast responses come back. */
  rate: number;
  durationS: number;
  headers?: Record<string, string>;
  /** A request still unanswered after this is counted as an error at this latency. */
  timeoutMs?: number;
  /** Most sockets opened; requests beyond wait for a socket, and that wait counts in latency. */
  maxSockets?: number;
}

export interface StepResult {
  rate: number;
  sent: number;
  ok: number;
  errors: number;
  timeouts: number;
  /** Requests completed per second over the step. */
  achieved_rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  /** First error seen, to tell a 429 from a refused connection. */
  first_error?: string;
}

/**
 * Open-loop load: request i is due at start + i/rate whether or not earlier ones have
 * answered, and its latency runs from that due time (not from when it was sent), so a slow
 * server cannot hide its queueing delay by slowing the generator (coordinated omission).
 */
export async function openLoopStep(opts: OpenLoopOptions): Promise<StepResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const url = new URL(opts.baseUrl);
  // Idle sockets close after 4 s, before Node servers' 5 s keep-alive timeout can reset one mid-request.
  // FIFO reuse spreads requests over the open connections, as many apps' connections would be: a
  // server of several processes (node:cluster) balances connections, and Node's default LIFO reuse
  // would send nearly every request down the one most recently used connection, to one process.
  const agent = new Agent({ keepAlive: true, scheduling: 'fifo', maxSockets: opts.maxSockets ?? 256, timeout: 4000 });
  const total = Math.max(1, Math.round(opts.rate * opts.durationS));
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let timeouts = 0;
  let firstError: string | undefined;
  let pending = 0;
  let onDrained: (() => void) | undefined;

  const fail = (reason: string) => {
    errors++;
    firstError ??= reason;
  };

  const send = (i: number, due: number) => {
    pending++;
    let settled = false;
    const finish = (isOk: boolean, reason?: string) => {
      if (settled) return;
      settled = true;
      latencies.push(performance.now() - due);
      if (isOk) ok++;
      else fail(reason ?? 'error');
      if (--pending === 0) onDrained?.();
    };
    const req = request({ agent, host: url.hostname, port: url.port, path: opts.path(i), method: 'GET', headers: opts.headers ?? {} }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode !== undefined && res.statusCode < 400, `HTTP ${res.statusCode}`));
      res.on('error', (err) => finish(false, err.message));
    });
    req.setTimeout(timeoutMs, () => {
      timeouts++;
      req.destroy(new Error(`timeout after ${timeoutMs} ms`));
    });
    req.on('error', (err) => finish(false, err.message));
    req.end();
  };

  const start = performance.now();
  const interval = 1000 / opts.rate;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        send(next, start + next * interval);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  if (pending > 0) await new Promise<void>((resolve) => (onDrained = resolve));
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  const s = summarize(latencies);
  return {
    rate: opts.rate,
    sent: total,
    ok,
    errors,
    timeouts,
    achieved_rps: ok / elapsedS,
    p50_ms: s.p50,
    p90_ms: s.p90,
    p99_ms: s.p99,
    max_ms: s.max,
    ...(firstError ? { first_error: firstError } : {}),
  };
}
