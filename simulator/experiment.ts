import { sleep, withContext } from '../core/errors.ts';
import type { ExperimentReport } from '../experiments/report.ts';
import type { Experiment } from '../experiments/store.ts';

export interface EngineExperimentOptions {
  url: string;
  /** An admin key of the engine (experiments are admin API). */
  adminKey: string;
  /** How long to wait for ClickHouse to take in the run's events (default 60 s). */
  settleMs?: number;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

/**
 * The report of the experiment running on the engine (undefined when none runs), read once
 * the run's events have reached ClickHouse: when two reads 2 s apart count the same impressions.
 */
export async function engineExperimentReport(opts: EngineExperimentOptions): Promise<ExperimentReport | undefined> {
  const base = opts.url.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const get = async <T>(path: string): Promise<T> => {
    const res = await withContext(`reading ${base}${path}`, () => doFetch(`${base}${path}`, { headers: { 'x-api-key': opts.adminKey }, signal: AbortSignal.timeout(30_000) }));
    if (!res.ok) throw new Error(`GET ${base}${path} returned HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as T;
  };
  const { experiments } = await get<{ experiments: Experiment[] }>('/v1/admin/experiments');
  const running = experiments.find((e) => e.status === 'running');
  if (!running) return undefined;
  const path = `/v1/admin/experiments/${running.id}/report`;
  const impressions = (r: ExperimentReport) => r.arms.reduce((s, a) => s + a.impressions, 0) + (r.interleave?.decided_pages ?? 0);
  const until = Date.now() + (opts.settleMs ?? 60_000);
  let report = await get<ExperimentReport>(path);
  for (;;) {
    await sleep(2_000);
    const next = await get<ExperimentReport>(path);
    if (impressions(next) === impressions(report) || Date.now() > until) return next;
    report = next;
  }
}
