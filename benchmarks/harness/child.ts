import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deepMerge } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { servingEnv } from '../../core/malloc-env.ts';

/** Messages between the harness and a server it forked (see serve-child.ts). */
/** A server's memory after a full GC (bytes): heapTotal is V8's committed heap, external its buffers (array buffers, wasm memory excluded). */
export interface ProcessMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export type ToChild = { type: 'rss' } | { type: 'stop' } | { type: 'call'; name: string; args: unknown };
export type FromChild =
  | { type: 'ready'; url: string; rss: number; info: Record<string, unknown> }
  | ({ type: 'rss' } & ProcessMemory)
  | { type: 'result'; name: string; value: unknown }
  | { type: 'error'; message: string };

/** A server a child process started: its URL, what it reports, the calls it answers, and how to stop it. */
export interface Started {
  url: string;
  info: Record<string, unknown>;
  calls: Record<string, (args: unknown) => Promise<unknown>>;
  stop(): Promise<void>;
}

export interface ServerSpec {
  /** 'hello': a bare Hono route; 'feed': createFeedService over a seeded world. */
  mode: 'hello' | 'feed';
  /** The complete config of the server (see `serverConfig`). */
  config: Record<string, unknown>;
  options?: Record<string, unknown>;
  /** 'feed' only: serving processes sharing the port, as `feed serve --workers` runs them (default 1). */
  workers?: number;
}

export interface ChildServer {
  url: string;
  pid: number;
  info: Record<string, unknown>;
  /** Resident set size of the server process, after a full GC. */
  rss(): Promise<ProcessMemory>;
  /** Runs a named helper inside the server process (e.g. the freshness probe). */
  call<T>(name: string, args?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** The harness config with `overrides` merged in, as a server process takes it. */
export function serverConfig(base: Config, ...overrides: Record<string, unknown>[]): Record<string, unknown> {
  return overrides.reduce((acc, o) => deepMerge(acc, o), base as unknown as Record<string, unknown>);
}

const SCRIPT = fileURLToPath(new URL('./serve-child.ts', import.meta.url));

/**
 * The next IPC message of type `want` from a child process. Rejects on an `error` message, on
 * exit, or after `timeoutMs`; `what` names the awaited message in those errors.
 */
export function nextMessage<M extends { type: string }>(child: ChildProcess, want: M['type'], what: string, timeoutMs?: number): Promise<M> {
  return new Promise((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(new Error(`${what}: nothing within ${timeoutMs / 1000}s`)), timeoutMs);
    const onMessage = (m: M) => {
      if (m.type === 'error') done(new Error(`${what}: ${(m as { message?: string }).message}`));
      else if (m.type === want) done(undefined, m);
    };
    const onExit = (code: number | null) => done(new Error(`${what}: process exited with code ${code}`));
    function done(err?: Error, m?: M) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Forks a server in its own process, so the load generator and the server do not share an
 * event loop. Its stdout goes to our stderr (stdout carries the result tables). With
 * BENCH_CPU_PROF=<dir> the server writes a V8 CPU profile there when it stops; BENCH_SERVER_FLAGS
 * adds Node/V8 flags to the server processes (cluster workers inherit them).
 */
export async function startServer(spec: ServerSpec, opts: { readyTimeoutMs?: number; label?: string } = {}): Promise<ChildServer> {
  const prof = process.env.BENCH_CPU_PROF;
  const child = fork(SCRIPT, [JSON.stringify(spec)], {
    // One profile per thread (the tsx loader runs in a worker), named CPU.<date>.<pid>.<tid>.*.
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${join(prof, opts.label ?? spec.mode)}`] : []),
      // Extra Node/V8 flags for the servers (e.g. --trace-gc), which NODE_OPTIONS refuses.
      ...(process.env.BENCH_SERVER_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...servingEnv(), LOG_FORMAT: 'json' },
  });
  child.stdout?.pipe(process.stderr);
  let ready: FromChild;
  try {
    ready = await nextMessage<FromChild>(child, 'ready', 'server process ready message', opts.readyTimeoutMs ?? 600_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (ready.type !== 'ready') throw new Error('unreachable');
  let calls = Promise.resolve() as Promise<unknown>;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = calls.then(fn, fn);
    calls = p.catch(() => undefined);
    return p;
  };
  return {
    url: ready.url,
    pid: child.pid!,
    info: ready.info,
    rss: () =>
      serial(async () => {
        const reply = nextMessage<FromChild>(child, 'rss', 'server process rss reply', 30_000);
        child.send({ type: 'rss' } satisfies ToChild);
        const m = await reply;
        return m.type === 'rss' ? { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external } : { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
      }),
    call: <T>(name: string, args?: unknown) =>
      serial(async () => {
        const reply = nextMessage<FromChild>(child, 'result', `server process result of ${name}`, 300_000);
        child.send({ type: 'call', name, args } satisfies ToChild);
        const m = await reply;
        return (m.type === 'result' ? m.value : undefined) as T;
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ type: 'stop' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
