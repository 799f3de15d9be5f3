/**
 * Runs the ANN measurement in a fresh process. OpenMP and OpenBLAS read their thread counts
 * once, when the FAISS addon loads, and the CLI may have loaded it before `bench ann` starts;
 * a child started with OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 (unless set) measures what
 * a serving process with those settings gets.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchOutput } from '../harness/types.ts';

export type Msg = { type: 'log'; message: string } | { type: 'done'; output: BenchOutput } | { type: 'error'; message: string };
export interface Job {
  smoke: boolean;
  repeats: number;
  items: number[];
  config: unknown;
}

export function runAnnProcess(ctx: BenchContext): Promise<BenchOutput> {
  const job: Job = { smoke: ctx.smoke, repeats: ctx.repeats, items: ctx.items, config: ctx.config };
  const child = fork(fileURLToPath(new URL('./ann-child.ts', import.meta.url)), [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1', OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (m: Msg) => {
      if (m.type === 'log') ctx.log(m.message);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.output);
      } else {
        settled = true;
        reject(new Error(`ann benchmark process: ${m.message}`));
      }
    });
    child.on('exit', (code) => settled || reject(new Error(`ann benchmark process exited with code ${code}`)));
  });
}
