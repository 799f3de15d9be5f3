/**
 * glibc malloc settings for the serving processes this project starts. glibc keeps freed native
 * memory in per-thread arenas and, after a large buffer is freed, raises its mmap threshold so
 * later large buffers come from (and stay in) those arenas: a server that loaded a new model
 * version (buffers of tens of MiB, read in a worker thread, and a new online-training thread)
 * kept some 300 MiB it no longer used (soak probe, benchmarks/README.md). A fixed threshold
 * hands every buffer over 128 KiB back to the system when it is freed; two arenas bound the
 * per-thread heaps. glibc reads them at process start only, so they go into the environment of
 * the processes started here (a server started by hand sets them the same way, see README).
 */
const SERVING_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/** The environment for a serving process started from this one: these settings, under the current environment (which wins). */
export function servingEnv(): NodeJS.ProcessEnv {
  return { ...SERVING_MALLOC_ENV, ...process.env };
}
