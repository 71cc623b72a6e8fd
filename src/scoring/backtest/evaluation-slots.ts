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
}
