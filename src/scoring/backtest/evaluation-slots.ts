// How many model evaluations (backtests, suggestions, previews) one instance runs at once. Each
// scores the whole population, a backtest at every instant of its grid, so a request holding many of
// them (aliases, or many requests in parallel) would otherwise take every core and the memory of
// all their snapshots. A few more wait their turn, in order; past that they are refused at once.
import { RateLimitedError } from '../../auth/auth.errors';
import { ConcurrencyLimit } from '../../infra/concurrency-limit';

export class EvaluationSlots extends ConcurrencyLimit {
  constructor(maxRunning: number, maxWaiting: number) {
    super(maxRunning, {
      maxWaiting,
      refusal: () =>
        new RateLimitedError(
          `${maxRunning} model evaluations (backtest, suggestScoringModel, previewScoringModel) are running on this ` +
            `instance and ${maxWaiting} are waiting; retry later`,
          { retryAfterSeconds: 5 },
        ),
    });
  }

  /**
   * As ConcurrencyLimit.run; an evaluation whose signal aborted throws the signal's reason, whatever
   * failed with it: a statement ended by the stopping server fails as a lost connection, yet the
   * answer is that the server is stopping (a ServiceStoppingError), not that the database is down.
   */
  override async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await super.run(work, signal);
    } catch (error) {
      throw signal?.aborted ? signal.reason : error;
    }
  }
}
