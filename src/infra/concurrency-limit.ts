// Work under a concurrency limit: at most `maxRunning` at once, the rest waiting in order; optionally at
// most `maxWaiting` waiting, past which one is refused at once. Used for the model evaluations of
// an instance (scoring/backtest/evaluation-slots.ts), the full runs asked for through the API
// (scoring/full-run-queue.ts), and the statements of one request (statement-limits.ts).
//
// Hand-written rather than p-limit: the maintained p-limit is ESM-only (from v4; this service builds
// to CommonJS), and a wait queue that refuses when full is not among its options.

export interface WhenFull {
  maxWaiting: number;
  /** The error a caller gets when `maxRunning` run and `maxWaiting` wait: nothing of its work runs. */
  refusal(): Error;
}

export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly maxRunning: number,
    private readonly whenFull?: WhenFull,
  ) {}

  /**
   * Runs `work` in its turn, after waiting for one if all are taken; throws the refusal when the queue
   * is full too. When `signal` aborts while it waits, it leaves the queue and throws the signal's reason.
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.take(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.running < this.maxRunning) {
      this.running++;
      return;
    }
    if (this.whenFull && this.waiting.length >= this.whenFull.maxWaiting) throw this.whenFull.refusal();
    // The work that ends hands its turn over (release): the count of running ones stays as it is.
    await new Promise<void>((resolve, reject) => {
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(turn), 1);
        reject(signal?.reason);
      };
      const turn = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      this.waiting.push(turn);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
