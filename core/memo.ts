/** Values stored under the key of the accessor that computes them (ranker/memo.ts: perRequest, perPipeline). */
export class Memo {
  private readonly values = new Map<object, unknown>();

  get<T>(key: object, compute: () => T): T {
    if (this.values.has(key)) return this.values.get(key) as T;
    const value = compute();
    this.values.set(key, value);
    return value;
  }
}
