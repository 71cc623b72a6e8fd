// Full scoring runs asked for through the API (`refreshAllHealthScores`) wait their turn in this
// process before they take anything of the database. Runs take turns across instances on an advisory
// lock, each waiting for it on a session of its own outside the pool: unqueued, concurrent calls
// opened one session each, without bound, towards PostgreSQL's max_connections. One at a time (the
// lock admits no more), a few more waiting in order; past that, refused at once with nothing written.
import { RateLimitedError } from '../auth/auth.errors';
import { ConcurrencyLimit } from '../infra/concurrency-limit';

/** Seconds a refused caller is asked to wait. */
const RETRY_AFTER_SECONDS = 5;

export class FullRunQueue extends ConcurrencyLimit {
  constructor(maxWaiting: number) {
    super(1, {
      maxWaiting,
      refusal: () =>
        new RateLimitedError(
          `a full scoring run (refreshAllHealthScores) is running on this instance and ${maxWaiting} more are waiting; retry later`,
          { retryAfterSeconds: RETRY_AFTER_SECONDS },
        ),
    });
  }
}
