/** Keeps the best epoch's state by a validation score (higher is better) and says when to stop. */
export class EarlyStopping<S> {
  best: { epoch: number; score: number; state: S } | undefined;
  private sinceBest = 0;

  /** `patience`: epochs without a better score before stopping. */
  constructor(private readonly patience: number) {}

  /** Records an epoch's score (taking the state only when it is the best so far); true means stop. */
  update(epoch: number, score: number, state: () => S): boolean {
    if (!this.best || score > this.best.score) {
      this.best = { epoch, score, state: state() };
      this.sinceBest = 0;
      return false;
    }
    return ++this.sinceBest >= this.patience;
  }
}
