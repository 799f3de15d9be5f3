import type { FeedContext } from './types.ts';

/** A value computed at most once per request and shared by the stages that read it; typed by `compute`. */
export function perRequest<T>(compute: (ctx: FeedContext) => T): (ctx: FeedContext) => T {
  const key = {};
  return (ctx) => ctx.memo.get(key, () => compute(ctx));
}

/** State a stage keeps across the requests of one pipeline (scratch buffers, caches): never module-level. */
export function perPipeline<T>(create: () => T): (ctx: Pick<FeedContext, 'pipelineMemo'>) => T {
  const key = {};
  return (ctx) => ctx.pipelineMemo.get(key, create);
}
