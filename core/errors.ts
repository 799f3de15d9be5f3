/** An error that says what was being done; the original is kept as `cause`. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
  constructor(context: string, cause: unknown) {
    super(`${context}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Runs `fn`, wrapping any failure once with `context`. */
export async function withContext<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ContextError) throw err;
    throw new ContextError(context, err);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
