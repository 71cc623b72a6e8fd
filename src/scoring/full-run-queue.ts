// Full scoring runs asked for through the API (`refreshAllHealthScores`) wait their turn in this
// process before they take anything of the database. Runs take turns across instances on an advisory
// lock, each waiting for it on a session of its own outside the pool: unqueued, concurrent calls
// opened one session each, without bound, towards PostgreSQL's max_connections. One at a time (the
// lock admits no more), a few more waiting in order; past that, refused at once with nothing written.
// The queue also holds them to the instance's stop: every caller is answered within the drain.
import { setMaxListeners } from 'node:events';
import { RateLimitedError } from '../auth/auth.errors';
import type { CoreServices } from '../context';
import { ABORTED, untilAborted } from '../infra/abort-signals';
import { ConcurrencyLimit } from '../infra/concurrency-limit';
import { RETRY_AFTER_SECONDS, ServiceStoppingError } from '../infra/errors';
import type { Db } from '../infra/sql';
import { checkAsOf, INTERRUPTED_RUN_ERROR, refreshAllHealthScores, ScoringRunRecord, type StartedRun } from './scoring.service';

export class FullRunQueue extends ConcurrencyLimit {
  private readonly stopping = new AbortController();
  private readonly runs = new Set<Promise<unknown>>();

  constructor(maxWaiting: number) {
    super(1, {
      maxWaiting,
      refusal: () =>
        new RateLimitedError(
          `a full scoring run (refreshAllHealthScores) is running on this instance and ${maxWaiting} more are waiting; retry later`,
          { retryAfterSeconds: RETRY_AFTER_SECONDS },
        ),
    });
    // A listener for each call waiting its turn (FULL_RUNS_WAITING may be hundreds): not a leak.
    setMaxListeners(0, this.stopping.signal);
  }

  /** Aborted once the instance begins to stop, with the answer of a call whose run has no row yet. */
  get stopSignal(): AbortSignal {
    return this.stopping.signal;
  }

  /** `run`, whose end the instance's stop waits for: its caller may be answered before it ends (refreshAllOnDemand). */
  keepUntilEnded<T>(run: Promise<T>): Promise<T> {
    const ended: Promise<unknown> = run.then(
      () => this.runs.delete(ended),
      () => this.runs.delete(ended),
    );
    this.runs.add(ended);
    return run;
  }

  /**
   * From now on no run asked for through the API starts here, and their callers are answered (see
   * refreshAllOnDemand). Resolves once the run going on has finished its batches in flight and is
   * marked: the stop closes the ORM and Redis only after it.
   */
  async stop(): Promise<void> {
    this.stopping.abort(
      new ServiceStoppingError('the server is stopping: this full scoring run was not started, and nothing was written; send it again'),
    );
    await Promise.all(this.runs);
  }
}

/**
 * `refreshAllHealthScores` through the API: everyone scored as of `asOf` (now by default), in the
 * call's turn on this instance, after a run in progress on any instance. A stop of the instance
 * answers the call at once, 503 (ServiceStoppingError), where a run lasting longer than the drain
 * would have had its connection cut and the ORM closed under it: a call still waiting (its turn, or
 * the lock) leaves with nothing written; a run going on claims no further batch, and the answer names
 * it and how it will end: marked FAILED as interrupted once its batches in flight have committed, or
 * SUCCEEDED when those were its last (the stop waits for them, as for the scheduler's runs). A run as
 * of now is refused (SCORING_HELD_OFF) while a bulk load or a first start's backfill holds live scoring off.
 */
export async function refreshAllOnDemand(
  services: CoreServices,
  db: Db,
  asOf: Date | null,
  queue: FullRunQueue,
): Promise<ScoringRunRecord> {
  checkAsOf(asOf);
  const stopping = queue.stopSignal;
  return queue.run(async () => {
    let started = (_run: StartedRun): void => undefined;
    const runStarted = new Promise<StartedRun>((resolve) => (started = resolve));
    const run = queue.keepUntilEnded(
      refreshAllHealthScores(services, db, asOf, true, {
        // As a rescoring round is: live scoring would act on half-loaded data or half-built history.
        refuseWhileHeldOff: true,
        signal: stopping,
        onStarted: (startedRun) => started(startedRun),
      }),
    ) as Promise<ScoringRunRecord>;
    const finished = await untilAborted(run, stopping);
    if (finished !== ABORTED) return finished;
    // A run still waiting for the lock leaves it at once, throwing the stop's own answer. One with a
    // row goes on to the end of its batches in flight, behind this answer.
    const outcome = await Promise.race([run.then((record) => ({ record })), runStarted.then((startedRun) => ({ startedRun }))]);
    if ('record' in outcome) {
      if (outcome.record.error !== INTERRUPTED_RUN_ERROR) return outcome.record;
      throw stoppedRunAnswer(outcome.record.id, false);
    }
    throw stoppedRunAnswer(outcome.startedRun.runId, outcome.startedRun.allBatchesClaimed());
  }, stopping);
}

/**
 * The answer to a call whose run goes on behind it as the instance stops. Which way it ends is known
 * already: a run that had claimed every batch before the stop finishes them and succeeds (unless one
 * fails); one that had not claims no further batch and ends interrupted.
 */
function stoppedRunAnswer(runId: string, allBatchesClaimed: boolean): ServiceStoppingError {
  const ending = allBatchesClaimed
    ? 'had claimed its last batches: it ends SUCCEEDED once they have committed, unless one fails (scoringRuns tells how it ended)'
    : 'claims no further batch and ends FAILED (interrupted) once the batches in progress have committed (scoringRuns tells how far it got); send it again';
  return new ServiceStoppingError(`the server is stopping: full scoring run ${runId} ${ending}`, { runId });
}
