// How many model evaluations (backtests, suggestions, previews) one instance runs at once. Each
// scores the whole population, a backtest at every instant of its grid, so a request holding many of
// them (aliases, or many requests in parallel) would otherwise take every core and the memory of
// all their snapshots. A few more wait their turn, in order; past that they are refused at once.
//
// Hand-written rather than p-limit: the maintained p-limit is ESM-only (from v4; this service builds
// to CommonJS), and a wait queue that refuses when full, which this needs, is not among its options.
import { RateLimitedError } from '../../auth/auth.errors';

export class EvaluationSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
  ) {}

  /** Runs `evaluation` in a slot, after waiting for one if all are taken; RATE_LIMITED (nothing run) when the queue is full too. */
  async run<T>(evaluation: () => Promise<T>): Promise<T> {
    await this.take();
    try {
      return await evaluation();
    } finally {
      this.release();
    }
  }

  private async take(): Promise<void> {
    if (this.running < this.maxRunning) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.maxWaiting) {
      throw new RateLimitedError(
        `${this.maxRunning} model evaluations (backtest, suggestScoringModel, previewScoringModel) are running on this ` +
          `instance and ${this.maxWaiting} are waiting; retry later`,
        { retryAfterSeconds: 5 },
      );
    }
    // The evaluation that ends hands its slot over (release): the count of running ones stays as it is.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
