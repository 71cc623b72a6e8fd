// Continuous scoring: customers with new signals are rescored after a short debounce (several
// ingestion calls collapse into one scoring, bounded by a max wait), a periodic full run rescores everyone so silence
// decays scores, and the first start over existing data backfills the last 30 days of history.
// A write of signals wakes it through `scheduleRescore` (src/scoring/rescore-queue.ts); the round it
// schedules is `rescoreQueued` below.
import { CoreServices, databaseUrlOf } from '../context';
import { Db, queryOne } from '../infra/sql';
import { backfillHistory, endsOfPastDays } from './backfill-history';
import { holdingRescoring, rescoringHeldOff } from './bulk-load-hold';
import { databaseNow, queueDatesComeDue, requeueAbandonedClaims, RescoreScheduler } from './rescore-queue';
import {
  anyRunRunning,
  failRunsInterruptedByACrash,
  type FullRunOptions,
  fullRunsOwed,
  INTERRUPTION_ERRORS,
  refreshAllHealthScores,
  rescoreRequested,
  type ScoringRunRecord,
} from './scoring.service';
import { withSessionLock } from '../infra/session-lock';
import { analyzeChangedTables } from '../infra/table-statistics';

export const BACKFILL_DAYS = 30;
const FIRST_START_BACKFILL_LOCK = 'healthgraph.first-start-backfill';
/** The share of `SCORING_INTERVAL_MS` within which a run on any instance stands for this one's periodic run. */
const PERIODIC_RUN_SPACING = 0.9;
/** How often scoring that waits for a hold on rescoring (a bulk load, a first start's backfill) looks whether it has ended. */
const BULK_LOAD_POLL_MS = 1000;

export class ScoringScheduler implements RescoreScheduler {
  private debounceTimer: NodeJS.Timeout | undefined;
  private firstSignalAt = 0;
  private lastSignalAt = 0;
  private periodicTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private statisticsTimer: NodeJS.Timeout | undefined;
  private takeOverTimer: NodeJS.Timeout | undefined;
  /** A look for the work of an instance that died is queued: the sweep queues no second one behind it. */
  private takeOverQueued = false;
  /**
   * A sweep marked FAILED a run an instance that is gone left RUNNING, or a run of this instance lost
   * its lock: what is owed is run at the first sweep that neither a hold nor another instance's run defers.
   */
  private takenOver = false;
  private running: Promise<unknown> = Promise.resolve();
  private started = false;
  private stopped = false;
  /** Aborted with `stopped`: a run waiting for the full-run lock leaves it. */
  private readonly stopping = new AbortController();
  private recovery: Promise<unknown> = Promise.resolve();
  /** Activations seen, and how many of them a full run has served (runForActivations). */
  private activationsSeen = 0;
  private activationsServed = 0;
  /** The version activated last. */
  private latestActivated: number | null = null;
  /** A run for activations is queued or has yet to read the model: a new activation joins it. */
  private activationRunQueued = false;

  constructor(private readonly services: CoreServices) {
    // A new model version: a full run, so tiers, summaries and the worklist agree with it. Heard from
    // the start, so that one activated before the scheduler starts (the current default adopted at
    // start-up, adoptCurrentDefaultModel) gets its run once it does.
    if (services.config.scoringIntervalMs > 0) {
      services.onModelActivated.push((version) => this.activated(version));
      services.onFullRunLockLost.push(() => this.runLostItsLock());
    }
  }

  start(): void {
    const { config } = this.services;
    // First of all, whatever the configuration: a run left RUNNING by a process that died is not running.
    this.enqueue(() => this.failInterruptedRuns());
    this.recovery = this.running;
    this.started = true;
    if (config.scoringIntervalMs > 0) {
      this.periodicTimer = setInterval(() => this.enqueue(() => this.periodicRun()), config.scoringIntervalMs);
      this.periodicTimer.unref();
      // Customers marked before a restart (or by another instance that stopped) are picked up too.
      this.enqueue(() => this.backfillIfFirstStart());
      if (this.activationsSeen > this.activationsServed) this.queueRunForActivations();
      this.scheduleRescore();
    }
    // The queue is in the database: customers queued by an instance that stopped before scoring them,
    // or by `npm run import` (its own process), wake nobody; each instance looks for them now and then.
    if (config.rescoreSweepMs > 0 && config.rescoreDebounceMs > 0) {
      this.sweepTimer = setInterval(() => this.scheduleRescore(), config.rescoreSweepMs);
      this.sweepTimer.unref();
    }
    if (config.rescoreSweepMs > 0) {
      this.statisticsTimer = setInterval(() => this.enqueue(() => this.analyzeChangedTables()), config.rescoreSweepMs);
      this.statisticsTimer.unref();
      this.takeOverTimer = setInterval(() => this.queueTakeOver(), config.rescoreSweepMs);
      this.takeOverTimer.unref();
    }
  }

  /**
   * Debounced: rescoring runs once signals have paused for the debounce, or at the latest the max
   * wait after the first unscored signal, so a steady stream (a bulk import, a busy hour) is rescored
   * in a few large batches instead of competing with ingestion every two seconds. The timer is
   * re-armed when it fires rather than on every signal: a signal costs one assignment.
   */
  scheduleRescore(): void {
    const { rescoreDebounceMs } = this.services.config;
    const maxWaitMs = Math.max(this.services.config.rescoreMaxWaitMs, rescoreDebounceMs);
    // Before start, nothing is scheduled: start picks up what was queued meanwhile.
    if (!this.started || this.stopped || rescoreDebounceMs === 0) return;
    // A monotonic clock: the system clock stepped back (a time sync) between a signal and its timer
    // would have the timer wait the step out, the rescoring of every signal until then with it.
    const now = performance.now();
    this.lastSignalAt = now;
    if (this.debounceTimer) return;
    this.firstSignalAt = now;
    const fire = () => {
      const at = performance.now();
      const quietFor = at - this.lastSignalAt;
      const waitedFor = at - this.firstSignalAt;
      if (quietFor < rescoreDebounceMs && waitedFor < maxWaitMs) {
        this.debounceTimer = setTimeout(fire, Math.min(rescoreDebounceMs - quietFor, maxWaitMs - waitedFor));
        this.debounceTimer.unref();
        return;
      }
      this.debounceTimer = undefined;
      this.enqueue(() => rescoreQueued(this.services, this.db(), { stopped: () => this.stopped }));
    };
    this.debounceTimer = setTimeout(fire, rescoreDebounceMs);
    this.debounceTimer.unref();
  }

  /**
   * A full run for a newly active model version. Activations that come before that run has read the
   * model join it: it scores under the model active when it reads it, so one run serves them all, where
   * one each (an admin script switching models in a loop) would hold the queue, and the rescoring of
   * new signals waiting in it, for as many runs of everyone.
   */
  private activated(version: number): void {
    this.activationsSeen += 1;
    this.latestActivated = version;
    // Before start, queued by start, behind the recovery of runs a dead process left RUNNING.
    if (!this.started || this.activationRunQueued) return;
    this.queueRunForActivations();
  }

  /**
   * A full run of this instance (the scheduler's, or one asked for through the API) stopped because the
   * session holding its lock ended and another session took the lock first: it wrote its row FAILED
   * itself, so no sweep finds it RUNNING to take over. What it owes is looked for at once, as a sweep
   * that took a run over does (at the next sweep when a sweep ran it), and at each sweep after until
   * it has been run.
   */
  private runLostItsLock(): void {
    // Before start, the start runs what is owed.
    if (!this.started || this.stopped) return;
    this.takenOver = true;
    this.queueTakeOver();
  }

  private queueRunForActivations(): void {
    this.activationRunQueued = true;
    this.enqueue(() => this.runForActivations());
  }

  /**
   * The run `activated` queued. It waits for a full run going on on any instance, rather than skip its
   * turn as the periodic run does: that run may have read the model before the activation, and an
   * instance starting beside this one holds the lock for a moment to look for runs a dead process
   * left. The activations seen before it started are served by it whatever
   * happens (their commits came before it reads the model; a run failed is not retried, as
   * no run is); those seen since, once it has read the model they activated last. Until then a new
   * activation queues nothing: the run's start, its bulk-load wait and its lock come before it reads
   * the model, and an activation in between is one it scores under. One that comes after the read
   * under an older model gets a run of its own, when this one ends.
   */
  private async runForActivations(): Promise<void> {
    const seenAtStart = this.activationsSeen;
    let released = false;
    const release = (): void => {
      released = true;
      this.activationRunQueued = false;
    };
    try {
      await this.fullRun(`model version ${this.latestActivated} activated`, {
        waitForLock: true,
        // Another instance's run may have read the version since (one starting beside this one and owing it).
        unlessServed: true,
        onStarted: ({ modelVersion: scoredUnder }) => {
          this.activationsServed = scoredUnder === this.latestActivated ? this.activationsSeen : seenAtStart;
          if (this.activationsServed === this.activationsSeen) release();
        },
      });
    } finally {
      if (!released) {
        this.activationsServed = Math.max(this.activationsServed, seenAtStart);
        if (this.activationsServed < this.activationsSeen) this.enqueue(() => this.runForActivations());
        else release();
      }
    }
  }

  /**
   * Waits for the work in progress (tests, shutdown), and for the work it queues as it ends: an
   * activation's run that read an older model queues the run owed for the newer one when it ends, after
   * the chain this was called on had been read.
   */
  async idle(): Promise<void> {
    let waitedFor: Promise<unknown>;
    do {
      waitedFor = this.running;
      await waitedFor;
    } while (waitedFor !== this.running);
  }

  /** Resolves once the runs a crashed process left RUNNING are marked FAILED (start-up waits for it). */
  recovered(): Promise<unknown> {
    return this.recovery;
  }

  private async failInterruptedRuns(): Promise<void> {
    const failed = await failRunsInterruptedByACrash(this.services);
    if (failed > 0) this.services.logger.warn({ runs: failed }, 'scoring runs left RUNNING by a process that stopped were marked FAILED');
    if (this.services.config.scoringIntervalMs === 0) return;
    // Asked when its turn comes: a first start cut short finishes with a full run of its own first.
    this.enqueue(() => this.runWhatIsOwed());
  }

  /**
   * What the last process left undone, read from the runs' rows, since nothing of its memory survives
   * a crash (fullRunsOwed): a past-dated run cut short is run again as of its instant (scoring an
   * instant again replaces the points there), and a run as of now follows when the last one was cut
   * short or the active model is not the one the last successful run scored under (a version activated
   * before its run began, by a process that then died), so tiers do not stay half of one run and half
   * of the one before, or under a model no longer active, until the next periodic run. False when a
   * run owed did not run and is owed still: without `waitForLock`, another instance's run held the lock
   * (or a hold came); the caller asks again later.
   */
  private async runWhatIsOwed(waitForLock = true): Promise<boolean> {
    const owed = await fullRunsOwed(this.db());
    let skipped = false;
    for (const asOf of owed.pastInstants) {
      if (this.stopped) return true;
      // Under the lock too: another instance starting beside this one may have run it again meanwhile.
      const run = await this.fullRun(`a run as of ${asOf.toISOString()} was interrupted`, { asOf, waitForLock, unlessReplayed: true });
      skipped ||= run === null;
    }
    // Under the lock, as an activation's run: instances starting together run it once.
    if (owed.now) {
      const run = await this.fullRun('a run was interrupted, or the active model has had none', { waitForLock, unlessServed: true });
      skipped ||= run === null;
    }
    if (!skipped) return true;
    // Skipped under the lock because served or run again meanwhile, or kept from the lock: only the latter leaves it owed.
    const left = await fullRunsOwed(this.db());
    return !left.now && left.pastInstants.length === 0;
  }

  private queueTakeOver(): void {
    if (this.takeOverQueued) return;
    this.takeOverQueued = true;
    this.enqueue(() => this.takeOverAbandonedWork().finally(() => (this.takeOverQueued = false)));
  }

  /**
   * Every RESCORE_SWEEP_MS, between scoring rounds: what an instance that died (SIGKILL, a lost
   * machine) left, which its own restart would pick up, and which may never come. A run whose row is
   * RUNNING while the full-run lock is free has lost its process (the lock went with its session):
   * it is marked FAILED and subscribers told to resync (failRunsInterruptedByACrash); then what the
   * runs' rows say is owed is run here, and a first start's backfill cut short is resumed. Neither
   * waits: a run or backfill going on (the lock or the hold taken) is left to its instance, and the
   * next sweep looks again.
   *
   * What is owed is run only after this instance's sweep has itself taken a run over: owed also reads
   * true after a run that failed on an error of its own (a bug, a statement timeout) under a model
   * version that has had no good run, and every sweep of every instance would run it again, each
   * publishing the batches before the failure (and a run that kills its process, out of memory, would
   * go from instance to instance). A start still runs what is owed, as it always did. A run of this
   * instance that lost its lock counts as taken over (runLostItsLock), an owed run started here too.
   * The owed runs are run once each they get the lock: while another instance's run holds it, the next
   * sweep tries again.
   */
  private async takeOverAbandonedWork(): Promise<void> {
    const db = this.db();
    if (await anyRunRunning(db)) {
      const failed = await failRunsInterruptedByACrash(this.services);
      if (failed > 0) {
        this.services.logger.warn({ runs: failed }, 'scoring runs left RUNNING by an instance that is gone were marked FAILED');
        this.takenOver = true;
      }
    }
    if (this.services.config.scoringIntervalMs === 0 || this.stopped) return;
    // A bulk load or a first start's backfill going on (its instance alive): the next sweep looks again.
    if (await rescoringHeldOff(db)) return;
    if (this.takenOver) {
      // Cleared before the owed runs, not after them: one that loses its lock in turn sets it again
      // (runLostItsLock) for the next sweep. Set again when one was kept from the lock by another
      // instance's run; one that failed on an error of its own is not retried by the sweeps.
      this.takenOver = false;
      if (!(await this.runWhatIsOwed(false))) this.takenOver = true;
    }
    if (!this.stopped) await this.backfillIfFirstStart(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    clearTimeout(this.debounceTimer);
    clearInterval(this.periodicTimer);
    clearInterval(this.sweepTimer);
    clearInterval(this.statisticsTimer);
    clearInterval(this.takeOverTimer);
    await this.running;
  }

  private enqueue(work: () => Promise<unknown>): void {
    if (this.stopped) return;
    // Work queued behind a round that was going on when the service began to stop does not start:
    // what it would have scored stays queued in the database for the next start (or another instance).
    this.running = this.running
      .then(() => (this.stopped ? undefined : work()))
      .catch((error: unknown) => {
        this.services.logger.error({ err: error }, 'scoring failed');
      });
  }

  private db(): Db {
    return this.services.orm.em.fork({ clear: true }) as Db;
  }

  /**
   * Every instance has its own timer, each started when its instance started: left alone, N instances
   * would run N full runs per interval. A periodic turn is skipped when any instance's run started
   * within most of an interval (not all of it: this instance's own last run, started late in its turn
   * by a run it waited for, must not make it skip the next).
   */
  private async periodicRun(): Promise<void> {
    // Half-loaded accounts (or half-built history) scored live would alert and mail on data not all
    // there yet: the next turn comes, and the first rescoring round after the hold scores the queue.
    if (await rescoringHeldOff(this.db())) {
      this.services.logger.info('periodic full scoring run skipped: a bulk load or a first-start backfill is going on');
      return;
    }
    await this.fullRun('periodic', { unlessRunWithinMs: this.services.config.scoringIntervalMs * PERIODIC_RUN_SPACING });
  }

  /**
   * Every RESCORE_SWEEP_MS, between scoring rounds: the statistics of the tables ingestion and scoring
   * changed past autovacuum's rule, where autovacuum has not taken them (table-statistics.ts). A
   * failure is logged: the next turn tries again.
   */
  private async analyzeChangedTables(): Promise<void> {
    try {
      const analyzed = await analyzeChangedTables(this.db());
      if (analyzed.length > 0) this.services.logger.info({ tables: analyzed }, 'planner statistics taken again');
    } catch (error) {
      this.services.logger.warn({ err: error }, 'planner statistics not taken');
    }
  }

  /**
   * A full run as of now, or as of a past `asOf` (a backfill). Without `waitForLock` it is skipped
   * while another runs on any instance, and, given `unlessRunWithinMs`, when one succeeded that
   * recently (FullRunOptions). Returns the run, null when skipped, undefined when the service stopped first.
   */
  private async fullRun(
    reason: string,
    {
      waitForLock = false,
      asOf = null,
      ...options
    }: Pick<FullRunOptions, 'unlessRunWithinMs' | 'unlessServed' | 'unlessReplayed' | 'onStarted'> & {
      waitForLock?: boolean;
      asOf?: Date | null;
    } = {},
  ): Promise<ScoringRunRecord | null | undefined> {
    const { signal } = this.stopping;
    let run: ScoringRunRecord | null | undefined;
    do {
      // A run that must happen (a model activated, a run cut short) waits for a bulk load or a first
      // start's backfill going on rather than score half-loaded accounts, or half-built history, live.
      if (!(await this.waitForBulkLoads(this.db(), reason))) return undefined;
      // As of now when it gets the lock (null), not when it was asked for. A past instant stays one
      // (a backfill) however long it waits. Skipped when a hold came while it waited for the lock.
      run = await refreshAllHealthScores(this.services, this.db(), asOf, waitForLock, {
        ...options,
        unlessHeldOff: true,
        backfill: asOf !== null,
        stopped: () => this.stopped,
        signal,
      }).catch((error: unknown) => {
        if (signal.aborted && error === signal.reason) return undefined;
        throw error;
      });
      // Waiting for the lock, it may have got it between two days of a backfill: it waits for its end.
    } while (run === null && waitForLock && (await rescoringHeldOff(this.db())));
    if (run === undefined) this.services.logger.info({ reason }, 'full scoring run not started: the service is stopping');
    else if (run) this.services.logger.info({ run, reason }, 'full scoring run finished');
    else this.services.logger.info({ reason }, 'full scoring run skipped: another instance is running one or ran one lately');
    return run;
  }

  /** Waits while a bulk load or a first start's backfill holds rescoring off; false when the service stopped meanwhile. */
  private async waitForBulkLoads(db: Db, reason: string): Promise<boolean> {
    let logged = false;
    while (await rescoringHeldOff(db)) {
      if (this.stopped) return false;
      if (!logged) this.services.logger.info({ reason }, 'scoring waits for the bulk load or first-start backfill going on to end');
      logged = true;
      await new Promise((resolve) => setTimeout(resolve, BULK_LOAD_POLL_MS));
    }
    return !this.stopped;
  }

  /**
   * On the first start over existing signals, score each of the last 30 days, then now (runs marked
   * `first_start`). Until that last run has succeeded, every start does what is left of it
   * (backfillHistory skips the days already scored): a first start stopped or killed halfway resumes
   * instead of keeping half a month. `resumeOnly` (the sweep's look): only a first start begun and cut
   * short, by an instance that died (its hold and lock went with its sessions).
   */
  private async backfillIfFirstStart(resumeOnly = false): Promise<void> {
    const db = this.db();
    // Most starts have nothing to backfill: they open no connection for the lock.
    if (!(await needsFirstStartBackfill(db, resumeOnly))) return;
    // A start beside a bulk load (`npm run demo:seed`, `npm run import`) would backfill a month of
    // history from half of the data: it waits for the load, which may write that history itself.
    if (!(await this.waitForBulkLoads(db, 'first-start backfill'))) return;
    // One instance backfills; another starting meanwhile leaves it the work (and resumes it, at its
    // next start, should that instance stop halfway). Asked again under the lock: it may have finished.
    const databaseUrl = databaseUrlOf(this.services);
    await withSessionLock(databaseUrl, FIRST_START_BACKFILL_LOCK, false, async (lock) => {
      if (!(await needsFirstStartBackfill(db, resumeOnly))) return;
      this.services.logger.info({ days: BACKFILL_DAYS }, 'first start with existing data: backfilling score history');
      // Until its run as of now has ended, no instance scores live (rescoring rounds, periodic runs):
      // the history their tier changes, drops and playbooks read is still being written.
      await holdingRescoring(databaseUrl, async () => {
        // The ends of the days, as `npm run import -- --backfill-days` scores them: days it scored are skipped.
        const days = endsOfPastDays(BACKFILL_DAYS, new Date());
        // Existing data loaded by other means may never have been analyzed: the backfill plans from it.
        await this.analyzeChangedTables();
        // Its lock lost for good (its session ended, and another instance took it to resume the
        // backfill), it leaves the rest to that instance.
        const stopped = () => this.stopped || lock.lost.aborted;
        await backfillHistory(this.services, db, days, { stopped, firstStart: true });
        // As of the moment the days are done: a run as of now, which ends the first start.
        if (!stopped()) await refreshAllHealthScores(this.services, db, null, true, { firstStart: true, stopped });
      });
    });
    await this.analyzeChangedTables();
  }
}

export interface RescoreRoundOptions {
  /** Asked before each batch is claimed: once it answers true (the service is stopping), no further batch is taken. */
  stopped?: () => boolean;
  /** Customers per batch, default SCORING_BATCH_SIZE. */
  batchSize?: number;
}

/**
 * Rescores the customers queued before it started (with those whose churn date has come, and those
 * an instance that died had claimed), batch after batch. Those queued meanwhile wait
 * for the next debounce: under a steady stream rescoring comes in rounds, not in a loop that never ends.
 * Once `stopped` says so it claims no further batch: the batch being scored is finished and its claim
 * dropped (rescoreRequested), and the customers not yet claimed stay queued for the next start.
 */
export async function rescoreQueued(
  services: CoreServices,
  db: Db,
  { stopped = () => false, batchSize }: RescoreRoundOptions = {},
): Promise<number> {
  let total = 0;
  // A bulk load or a first start's backfill going on: the customers stay queued for the first round
  // after it (bulk-load-hold.ts). Asked again before each batch: a hold taken after the round began
  // (a backfill starting on another instance) holds off the batches after it.
  if (await rescoringHeldOff(db)) return 0;
  // Not a reason to score nobody: the claims stay for the next round.
  await requeueAbandonedClaims(db).catch((error: unknown) =>
    services.logger.warn({ err: error }, 'abandoned rescoring claims not queued again'),
  );
  await queueDatesComeDue(db);
  // By the database's clock, which dates the queue: this process's may be behind it.
  const queuedBy = await databaseNow(db);
  for (;;) {
    if (stopped() || (total > 0 && (await rescoringHeldOff(db)))) return total;
    const scored = await rescoreRequested(services, db, { queuedBy, limit: batchSize });
    total += scored;
    if (scored === 0) return total;
  }
}

/**
 * A first start: signals of any kind (engagement events, payments, NPS answers, support tickets) and
 * no history at all. Or one cut short: runs of a first start's backfill, and none of them as of now
 * that succeeded (its last run, as of the moment its days were done). `cutShortOnly`: only the latter
 * (an instance that started empty and is then sent signals backfills nothing), and not when its
 * latest run failed on an error of its own rather than with its instance: the sweep that asks would
 * run it again, and fail again, every time (a start still does).
 */
async function needsFirstStartBackfill(db: Db, cutShortOnly = false): Promise<boolean> {
  const row = await queryOne<{ needed: boolean }>(
    db,
    `select (exists (select 1 from engagement_event) or exists (select 1 from payment) or exists (select 1 from nps_response)
             or exists (select 1 from support_ticket))
        and ((not ? and not exists (select 1 from health_score))
             or (exists (select 1 from scoring_run where first_start)
                 and not exists (select 1 from scoring_run where first_start and status = 'SUCCEEDED' and not backfill)
                 and not (? and coalesce((select status = 'FAILED' and coalesce(error not in (?, ?), true) from scoring_run
                                          where first_start order by started_at desc, id desc limit 1), false)))) as needed`,
    [cutShortOnly, cutShortOnly, ...INTERRUPTION_ERRORS],
  );
  return row?.needed ?? false;
}
