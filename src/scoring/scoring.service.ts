// Scoring runs: one customer, a set of customers (debounced rescoring), or everyone (periodic or
// `refreshAllHealthScores`). Full runs are serialised across instances by a PostgreSQL advisory
// lock and recorded in `scoring_run`. Events are published after each batch commits.
import { customerStartSql } from './customer-start';
import { Client } from 'pg';
import { CoreServices, databaseUrlOf } from '../context';
import { driverMessage, InvalidInputError, NotFoundError, ensure } from '../infra/errors';
import { cutText } from '../infra/text-rules';
import { CLOCK_SLACK_MS, instantBetween, labelFilter } from '../infra/input';
import { byTimeThenId, ConnectionResult, keysetPage } from '../infra/pagination';
import { Db, query, queryOne } from '../infra/sql';
import { getActiveModel } from './scoring-model.service';
import { BatchResult, ScoredCustomer, scoreCustomerBatch } from './score-customers';
import { ClaimedCustomers, claimQueuedCustomers, databaseNow, putBackInQueue, releaseClaim } from './rescore-queue';
import { publishBatch } from './scoring.topics';
import { whileScoring } from './scoring-activity';
import { type HeldSessionLock, withSessionLock } from '../infra/session-lock';
import { rescoringHeldOff, ScoringHeldOffError } from './bulk-load-hold';
import { MAX_RUN_ERROR_LENGTH, type ScoringRunsArgs } from './scoring.types';

/** Customers scored per transaction in a full run. */
export const SCORING_BATCH_SIZE = 2000;
/**
 * Batches of a full run scored at the same time, each on its own connection. Two keep both cores busy
 * (one batch's statements run while the other's scores are computed); a third ran no faster and, in
 * a live run that also plans its outreach, took the server past its memory target (bench/README.md,
 * session 46).
 */
const BATCHES_IN_FLIGHT = 2;
const FULL_RUN_LOCK = 'healthgraph.full-scoring-run';

export interface ScoringRunRecord {
  id: string;
  status: string;
  customersScored: number;
  tierChanges: number;
  asOf: Date;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  backfill: boolean;
}

const RUN_COLUMNS = `id::text as id, status, customers_scored as "customersScored", tier_changes as "tierChanges", as_of as "asOf",
  started_at as "startedAt", finished_at as "finishedAt", error, backfill`;

const RUN_STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED']);

/** `scoringRuns`: the full runs, newest first (a client whose connection dropped learns how its run ended). */
export function listScoringRuns(db: Db, args: ScoringRunsArgs): Promise<ConnectionResult<ScoringRunRecord>> {
  // A label filter as every list's: trimmed, and blank is none.
  const status = labelFilter(args.status);
  ensure(status === null || RUN_STATUSES.has(status), 'status must be RUNNING, SUCCEEDED or FAILED', { argument: 'status' });
  return keysetPage<ScoringRunRecord>(db, {
    select: RUN_COLUMNS,
    from: 'scoring_run r',
    where: status === null ? [] : ['r.status = ?'],
    params: status === null ? [] : [status],
    sortKeys: byTimeThenId('r', 'started_at'),
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}

/**
 * The instant to score as of: from 1970 up to now (default now). Checked before anything is written.
 * An instant within the clock slack ahead is now: scored as of a later instant, the run would hide
 * the outreach it logs from the scorings of the next seconds, which read what was logged up to their asOf.
 */
export function checkAsOf(asOf: Date | null | undefined): Date {
  const now = Date.now();
  const value = asOf ?? new Date(now);
  ensure(!(value.getTime() > now + CLOCK_SLACK_MS), 'asOf must not be in the future', { argument: 'asOf' });
  const checked = instantBetween(value, 'asOf', new Date(now + CLOCK_SLACK_MS));
  return checked.getTime() > now ? new Date(now) : checked;
}

/** A scoring this long before now is of the past (a client's clock a little behind is not). */
const BACKFILL_AFTER_MS = 5 * 60_000;

/**
 * Scoring as of a past instant is a backfill: it writes history and tier changes marked as such,
 * runs no playbook and publishes nothing live (a day gone by is nobody's alert).
 */
export function isBackfill(asOf: Date, now = Date.now()): boolean {
  return asOf.getTime() < now - BACKFILL_AFTER_MS;
}

/**
 * Now, for the live scoring of customers taken off the queue (a rescoring round, `refreshHealthScore`
 * without asOf), read once they are claimed: the later of the database's clock and this process's.
 * What queued them had committed before the claim, so it is dated before this instant by whichever
 * of the two clocks dated it: the queue and a new customer's start by the database's, a signal sent
 * without a date by the receiving instance's (this one, or another whose clock agrees with the
 * database's). Scored as of this process's clock alone, an instance whose clock is behind would take
 * them off the queue and leave what queued them out of their score, or leave a new customer unscored.
 */
export async function scoringNow(db: Db): Promise<Date> {
  return laterOf(new Date(), await databaseNow(db));
}

function laterOf(one: Date, other: Date): Date {
  return one.getTime() >= other.getTime() ? one : other;
}

/** Scores the given customers (one transaction per batch) and publishes what changed. */
export async function scoreCustomers(
  services: CoreServices,
  db: Db,
  ids: string[],
  asOf: Date,
  options: { broadcastScores: boolean },
): Promise<BatchResult> {
  const model = await getActiveModel(db);
  const backfill = isBackfill(asOf);
  const total: BatchResult = { scores: [], tierChanges: [], outreach: [] };
  for (let start = 0; start < ids.length; start += SCORING_BATCH_SIZE) {
    const batch = await scoreCustomerBatch(db.fork() as Db, ids.slice(start, start + SCORING_BATCH_SIZE), asOf, model, {
      backfill,
      customerMessagesPerWeek: services.config.customerMessagesPerWeek,
    });
    if (!backfill) await publishBatch(services.pubsub, batch, options);
    total.scores.push(...batch.scores);
    total.tierChanges.push(...batch.tierChanges);
    total.outreach.push(...batch.outreach);
  }
  return total;
}

export async function refreshHealthScore(
  services: CoreServices,
  db: Db,
  customerId: string,
  asOf: Date | null | undefined,
): Promise<ScoredCustomer> {
  const given = asOf == null ? null : checkAsOf(asOf);
  const customer = await queryOne<{ signedUpAt: string | null; startedAt: string; databaseNow: string }>(
    db,
    `select signed_up_at as "signedUpAt", ${customerStartSql('c')} as "startedAt", statement_timestamp() as "databaseNow"
     from customer c where id = ?`,
    [customerId],
  );
  if (!customer) throw new NotFoundError(`customer ${customerId} does not exist`, { customerId });
  // Without asOf, now by the clocks the scoring reads (scoringNow): a customer the database has just
  // created, with no signup, has started by then whatever this process's clock says.
  const checkedAt = given ?? laterOf(new Date(), new Date(customer.databaseNow));
  if (Date.parse(customer.startedAt) > checkedAt.getTime()) throw beforeStart(customerId, customer.signedUpAt, given !== null);
  // A score as of another instant leaves the customer queued: signals dated after that instant are not in it.
  if (given !== null) return (await scoreCustomers(services, db, [customerId], given, { broadcastScores: true })).scores[0];
  // Scored as of now, the customer's queued rescoring is done, and it is taken off the queue: now is
  // read after the claim (scoringNow), so what queued it, committed before the claim, is in the score.
  // Left queued, it would be scored again for nothing. Never before the instant its start was checked
  // against (a clock stepped back meanwhile): the batch would leave it out.
  const claimed = await claimQueuedCustomers(db, { customerIds: [customerId] }, 1);
  const result = await scoreClaimed(db, claimed, async () =>
    scoreCustomers(services, db, [customerId], laterOf(checkedAt, await scoringNow(db)), { broadcastScores: true }),
  );
  return result.scores[0];
}

/**
 * The refusal of a score before the customer started. Without an asOf, a sign-up ahead of now (within
 * the clock slack a past date may carry) is the customer's, not an argument the caller gave.
 */
function beforeStart(customerId: string, signedUpAt: string | Date | null, asOfGiven: boolean): InvalidInputError {
  if (signedUpAt === null)
    return new InvalidInputError(
      `customer ${customerId} has no signedUpAt and nothing recorded before asOf (no event, payment, ticket or survey answer, and it was created later): no score exists before it (give signedUpAt to score its past)`,
      { argument: 'asOf' },
    );
  if (asOfGiven)
    return new InvalidInputError(`customer ${customerId} signed up after asOf: no score exists before signup`, { argument: 'asOf' });
  return new InvalidInputError(
    `customer ${customerId} signs up at ${new Date(signedUpAt).toISOString()}, after now: no score exists before signup`,
    {
      argument: 'customerId',
    },
  );
}

/**
 * Holds a session-level advisory lock on a dedicated connection for the duration of `work`, so
 * only one full run happens at a time across every instance. `wait` false returns null when
 * another run holds it.
 */
function withFullRunLock<T>(
  databaseUrl: string,
  wait: boolean,
  work: (lock: HeldSessionLock) => Promise<T>,
  signal?: AbortSignal,
): Promise<T | null> {
  return withSessionLock(databaseUrl, FULL_RUN_LOCK, wait, work, signal);
}

export const INTERRUPTED_RUN_ERROR = 'interrupted: the instance running it stopped before the run finished';
/**
 * The error of a run that ended because the session holding its lock ended while it went on and the
 * lock could not be taken again (another instance took it, or the run for abandoned, first). Owed as
 * an interrupted run is (fullRunsOwed).
 */
export const LOCK_LOST_RUN_ERROR =
  'interrupted: the session holding the full-run lock ended while the run went on, and the lock could not be taken again';
/** The errors of a run cut short rather than failed on an error of its own: what it scored is owed again. */
export const INTERRUPTION_ERRORS = [INTERRUPTED_RUN_ERROR, LOCK_LOST_RUN_ERROR] as const;

/**
 * Marks FAILED the runs a process left RUNNING when it died (SIGKILL, a crash, a lost machine).
 * Sound only under the full-run lock: whoever holds it is the one run in progress anywhere, and it
 * has not written its row yet. A run that died after a batch committed may not have published that
 * batch's events: every subscriber, on every instance, is told to resync from the run's start.
 */
async function failInterruptedRuns(services: CoreServices, lock: Client): Promise<number> {
  const result = await lock.query<{ startedAt: Date; backfill: boolean; customersScored: number }>(
    `update scoring_run set status = 'FAILED', finished_at = now(), error = $1 where status = 'RUNNING'
     returning started_at as "startedAt", backfill, customers_scored as "customersScored"`,
    [INTERRUPTED_RUN_ERROR],
  );
  // A backfill publishes nothing, so it cannot have left anything unpublished.
  const unpublished = result.rows.filter((run) => run.customersScored > 0 && !run.backfill);
  if (unpublished.length > 0) services.pubsub.announceLost(new Date(Math.min(...unpublished.map((run) => run.startedAt.getTime()))));
  return result.rowCount ?? 0;
}

/**
 * At start-up, and on the scheduler's sweep: the runs a process that is gone left RUNNING are marked
 * FAILED, unless another instance is running one now (then the next full run does it). Returns how
 * many were marked.
 */
export async function failRunsInterruptedByACrash(services: CoreServices): Promise<number> {
  return (await withFullRunLock(databaseUrlOf(services), false, (lock) => failInterruptedRuns(services, lock.session))) ?? 0;
}

/**
 * Whether some run's row reads RUNNING, from the pool: the sweep opens a session for the full-run lock
 * (failRunsInterruptedByACrash) only then.
 */
export async function anyRunRunning(db: Db): Promise<boolean> {
  const row = await queryOne<{ running: boolean }>(db, `select exists (select 1 from scoring_run where status = 'RUNNING') as running`);
  return row?.running === true;
}

/** The full runs a start owes (fullRunsOwed). */
export interface FullRunsOwed {
  /**
   * A run as of now: the latest run as of its present ended interrupted (its tiers are half of it and
   * half of the run before), or the latest one that succeeded scored under another model version than
   * the active one (a version activated before its run started, by a process that then died). Runs
   * recorded before the version was kept owe nothing by it.
   */
  now: boolean;
  /**
   * The instants of past-dated runs (`refreshAllHealthScores(asOf:)` in the past, an import's
   * backfilled day) that ended interrupted and that no run as of the same instant followed, oldest
   * first: part of the customers have a point there and the rest would never get one.
   */
  pastInstants: Date[];
}

interface LatestRuns {
  /** The latest run as of its present ended interrupted. */
  interrupted: boolean;
  /** The active model version, and the one the latest successful run as of its present scored under (null: none, or unknown). */
  activeVersion: number | null;
  servedVersion: number | null;
}

const LATEST_RUNS_SQL = `(select status = 'FAILED' and error in (?, ?) from scoring_run where not backfill order by started_at desc, id desc limit 1) as interrupted,
  (select version from scoring_model where active) as "activeVersion",
  (select model_version from scoring_run where not backfill and status = 'SUCCEEDED' order by started_at desc, id desc limit 1) as "servedVersion"`;

/**
 * SQL: the run `r` is a past-dated run cut short that a start runs again (fullRunsOwed): no run as of
 * its instant began after it, whichever instance had a good run meanwhile. The first start's runs are
 * left to its own resumption (backfillIfFirstStart). Parameters: INTERRUPTION_ERRORS.
 */
const PAST_RUN_OWED_SQL = `r.status = 'FAILED' and r.error in (?, ?) and r.backfill and not r.first_start and not r.left_as_history
  and not exists (select 1 from scoring_run later where later.as_of = r.as_of and later.id > r.id)`;

/**
 * What a start must run again, read from the runs' rows (one statement; the runs' rows are few and
 * indexed by status and start): the instants of past-dated runs cut short (PAST_RUN_OWED_SQL), and
 * whether a run as of now is owed.
 */
export async function fullRunsOwed(db: Db): Promise<FullRunsOwed> {
  const row = (await queryOne<LatestRuns & { pastInstants: Date[] }>(
    db,
    `select ${LATEST_RUNS_SQL},
            array(select r.as_of from scoring_run r where ${PAST_RUN_OWED_SQL} order by r.as_of) as "pastInstants"`,
    [...INTERRUPTION_ERRORS, ...INTERRUPTION_ERRORS],
  )) as LatestRuns & { pastInstants: Date[] };
  const otherModel = row.servedVersion !== null && row.servedVersion !== row.activeVersion;
  return { now: row.interrupted === true || otherModel, pastInstants: row.pastInstants.map((at) => new Date(at)) };
}

/**
 * Whether a past-dated run cut short as of `asOf` is still owed (PAST_RUN_OWED_SQL). Read under the
 * full-run lock, so that instances starting together, each owing it, run it once.
 */
async function pastRunOwed(db: Db, asOf: Date): Promise<boolean> {
  const row = await queryOne<{ owed: boolean }>(
    db,
    `select exists (select 1 from scoring_run r where r.as_of = ? and ${PAST_RUN_OWED_SQL}) as owed`,
    [asOf.toISOString(), ...INTERRUPTION_ERRORS],
  );
  return row?.owed === true;
}

/**
 * Whether everyone's current point is the latest run's under the active model: that run succeeded
 * and read the active version (so after it was activated). Read under the full-run lock, so that
 * instances owing the same run (several starting at once, a start beside an activation) run it once.
 */
async function activeModelServed(db: Db): Promise<boolean> {
  const row = (await queryOne<LatestRuns>(db, `select ${LATEST_RUNS_SQL}`, [...INTERRUPTION_ERRORS])) as LatestRuns;
  return row.interrupted !== true && row.servedVersion !== null && row.servedVersion === row.activeVersion;
}

/** A full run that has its row, as `onStarted` tells it. */
export interface StartedRun {
  runId: string;
  modelVersion: number;
  /**
   * Whether every batch of the run has been read (or a batch failed): a stop coming now claims no
   * further batch, and the run ends SUCCEEDED, not interrupted, unless a batch in flight fails.
   */
  allBatchesClaimed: () => boolean;
}

export interface FullRunOptions {
  /** The run is one of the first start's (`scoring_run.first_start`). */
  firstStart?: boolean;
  /** Skip the run when a full run as of its present succeeded on any instance this recently. */
  unlessRunWithinMs?: number;
  /**
   * Skip the run when the latest run as of its present succeeded under the active model version
   * (activeModelServed): a run owed for a model activated, or for a run cut short, that another run
   * has served since.
   */
  unlessServed?: boolean;
  /**
   * Skip the run when no past-dated run cut short as of `asOf` is owed any longer (pastRunOwed): a run
   * as of that instant began after it (another instance, starting beside this one, ran it again).
   */
  unlessReplayed?: boolean;
  /**
   * Skip the run when a bulk load or a first start's backfill holds live scoring off (rescoringHeldOff),
   * read under the lock: a run that waited for it may get it between two of a backfill's days.
   */
  unlessHeldOff?: boolean;
  /**
   * Refuse a run as of now (not a backfill) while a bulk load or a first start's backfill holds live
   * scoring off (ScoringHeldOffError): asked before the lock is waited for, and again under it.
   */
  refuseWhileHeldOff?: boolean;
  /**
   * Score as a backfill whatever `asOf` is: a backfill's last day may have ended a moment ago, and
   * its points stay history, not alerts. Otherwise a run is a backfill when `asOf` is past (isBackfill).
   */
  backfill?: boolean;
  /**
   * Asked before each batch is read: once it answers true (the service is stopping), the batches in
   * flight finish and the run ends there, marked FAILED with INTERRUPTED_RUN_ERROR as a run whose
   * instance died is, and the next start runs it again. A run of 100,000 accounts would otherwise
   * outlast the shutdown's drain.
   */
  stopped?: () => boolean;
  /**
   * The service's stop as a signal, for a run that waits for the lock (`wait` true): aborted before
   * the run has its row, the run ends there with nothing written, throwing the signal's reason (see
   * withSessionLock); after, it is `stopped`'s answer (when `stopped` is not given).
   */
  signal?: AbortSignal;
  /** Told the run's id and the version of the model it scores under, once it has its row and has read the model. */
  onStarted?: (run: StartedRun) => void;
}

/**
 * Rescores every customer as of `asOf`. With `wait` false, returns null if another run is in
 * progress. A refused `asOf` writes nothing: it is checked before the run's row exists.
 */
export async function refreshAllHealthScores(
  services: CoreServices,
  db: Db,
  asOf: Date | null | undefined,
  wait = true,
  {
    firstStart = false,
    unlessRunWithinMs,
    unlessServed = false,
    unlessReplayed = false,
    unlessHeldOff = false,
    refuseWhileHeldOff = false,
    backfill,
    signal,
    stopped = () => signal?.aborted === true,
    onStarted,
  }: FullRunOptions = {},
): Promise<ScoringRunRecord | null> {
  const given = checkAsOf(asOf);
  // Past or not as asked: a run waiting for the lock does not turn into a backfill as it waits.
  const asBackfill = backfill === true || isBackfill(given);
  const refuseIfHeldOff = async (): Promise<void> => {
    if (refuseWhileHeldOff && !asBackfill && (await rescoringHeldOff(db))) throw new ScoringHeldOffError();
  };
  await refuseIfHeldOff();
  // A full run is what deliveries wait for (scoring-activity.ts): it scores every account at once.
  // Continuous rescoring of a few accounts is not waited for, or a steady stream would hold them back.
  return withFullRunLock(
    databaseUrlOf(services),
    wait,
    async (lock) => {
      // Stopped as the lock came: no row, as if still waiting.
      signal?.throwIfAborted();
      // Before any reason to skip: a run that skips is no reason to leave a dead process's run RUNNING.
      await failInterruptedRuns(services, lock.session);
      if (unlessRunWithinMs !== undefined && (await recentFullRun(lock.session, unlessRunWithinMs))) return null;
      if (unlessServed && (await activeModelServed(db))) return null;
      if (unlessReplayed && !(await pastRunOwed(db, given))) return null;
      if (unlessHeldOff && (await rescoringHeldOff(db))) return null;
      await refuseIfHeldOff();
      // A run as of now (no asOf) is as of when it gets the lock: one that waited for another
      // instance's run would otherwise be dated before the live scorings done meanwhile.
      const when = asOf == null ? new Date() : given;
      return whileScoring(() => fullRun(services, db, lock, when, { firstStart, backfill: asBackfill, stopped, onStarted }));
    },
    signal,
  );
}

/**
 * Whether a full run as of its present (not a backfill) succeeded, on any instance, having started
 * less than `withinMs` ago. Read under the full-run lock, so two instances cannot both find none.
 */
async function recentFullRun(lock: Client, withinMs: number): Promise<boolean> {
  const { rows } = await lock.query<{ recent: boolean }>(
    `select exists (select 1 from scoring_run where status = 'SUCCEEDED' and started_at > now() - make_interval(secs => $1)
                      and not backfill) as recent`,
    [withinMs / 1000],
  );
  return rows[0].recent;
}

/** The body of a full run, under its lock: the run's row, every batch, then the row's outcome. */
async function fullRun(
  services: CoreServices,
  db: Db,
  lock: HeldSessionLock,
  when: Date,
  {
    firstStart,
    backfill,
    stopped,
    onStarted,
  }: Required<Pick<FullRunOptions, 'firstStart' | 'backfill' | 'stopped'>> & Pick<FullRunOptions, 'onStarted'>,
): Promise<ScoringRunRecord> {
  // Read before the row is written, which records it: a start compares it with the active version (fullRunsOwed).
  const model = await getActiveModel(db);
  const run = (await queryOne<ScoringRunRecord>(
    db,
    `insert into scoring_run (status, as_of, first_start, backfill, model_version) values ('RUNNING', ?, ?, ?, ?) returning ${RUN_COLUMNS}`,
    [when.toISOString(), firstStart, backfill, model.version],
  )) as ScoringRunRecord;
  // Should the lock's session end while the run works on the pool (terminated, the network, a proxy),
  // the lock is taken again on a new session, and the run goes on, if its row is still RUNNING: while
  // the lock was free, another instance's sweep may have taken the run for abandoned (marked it FAILED
  // and owing a run again). Otherwise, or should another session hold the lock, the run is no longer
  // the one run: it stops as the service's stop stops it.
  lock.retakeOnlyIf(async (session) => {
    const { rowCount } = await session.query(`select 1 from scoring_run where id = $1 and status = 'RUNNING'`, [run.id]);
    return rowCount === 1;
  });
  try {
    // Keyset over customer ids, read one slice at a time; each batch is read, scored and written
    // in its own transaction. A few batches are in flight so the database works on some while this
    // process computes another: every core is used, and memory stays a few batches.
    let after = '';
    let reading: Promise<string[]> = Promise.resolve([]);
    let done = false;
    let interrupted = false;
    onStarted?.({ runId: run.id, modelVersion: model.version, allBatchesClaimed: () => done && !interrupted });
    const nextSlice = (): Promise<string[]> =>
      (reading = reading.then(async () => {
        if (!done && (stopped() || !(await lock.held()))) done = interrupted = true;
        if (done) return [];
        const ids = (
          await query<{ id: string }>(db, 'select id from customer where id > ? order by id limit ?', [after, SCORING_BATCH_SIZE])
        ).map((r) => r.id);
        if (ids.length < SCORING_BATCH_SIZE) done = true;
        if (ids.length > 0) after = ids[ids.length - 1];
        return ids;
      }));
    const workers = await Promise.allSettled(
      Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
        try {
          for (let ids = await nextSlice(); ids.length > 0; ids = await nextSlice()) {
            // The run's row counts each batch as it commits, so a run still going, or one whose
            // instance died, tells how far it got.
            const batch = await scoreCustomerBatch(db.fork() as Db, ids, when, model, {
              backfill,
              customerMessagesPerWeek: services.config.customerMessagesPerWeek,
              runId: run.id,
            });
            if (!backfill) await publishBatch(services.pubsub, batch, { broadcastScores: false });
          }
        } catch (error) {
          // The other batches finish their transactions; no new one starts.
          done = true;
          throw error;
        }
      }),
    );
    const failure = workers.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failure) throw failure.reason;
    if (interrupted && lock.lost.aborted) {
      services.logger.warn(
        { runId: run.id, reason: (lock.lost.reason as Error).message },
        'full scoring run stopped: the session holding its lock ended and the lock could not be taken again, so it is no longer the one run',
      );
      const ended = await endRun(services, db, run.id, 'FAILED', LOCK_LOST_RUN_ERROR);
      // What it owes is run again on this instance (the scheduler), after whatever holds the lock now.
      for (const listener of services.onFullRunLockLost) listener();
      return ended;
    }
    if (interrupted) {
      services.logger.warn({ runId: run.id }, 'full scoring run stopped with the service: the next start runs it again');
      return endRun(services, db, run.id, 'FAILED', INTERRUPTED_RUN_ERROR);
    }
    return endRun(services, db, run.id, 'SUCCEEDED', null);
  } catch (error) {
    // Why it failed, as the driver says it (not the statement it was running), within the column's length.
    await endRun(services, db, run.id, 'FAILED', cutText(driverMessage(error), MAX_RUN_ERROR_LENGTH));
    throw error;
  }
}

/**
 * Writes the outcome of run `runId`, only while its row is RUNNING. Its lock's session may have
 * ended while it worked (fullRun's `lock`), and an instance's sweep then marked it FAILED as
 * interrupted, told subscribers to resync and ran it again: that row is left as the sweep wrote it,
 * and returned as it is.
 */
async function endRun(
  services: CoreServices,
  db: Db,
  runId: string,
  status: 'SUCCEEDED' | 'FAILED',
  error: string | null,
): Promise<ScoringRunRecord> {
  const ended = await queryOne<ScoringRunRecord>(
    db,
    `update scoring_run set status = ?, finished_at = now(), error = ? where id = ? and status = 'RUNNING' returning ${RUN_COLUMNS}`,
    [status, error, runId],
  );
  if (ended) return ended;
  const row = (await queryOne<ScoringRunRecord>(db, `select ${RUN_COLUMNS} from scoring_run where id = ?`, [runId])) as ScoringRunRecord;
  services.logger.warn(
    { runId, outcome: status, error, row: { status: row.status, error: row.error } },
    'full scoring run ended after another instance had marked it FAILED (its lock session was lost): its row is left so',
  );
  return row;
}

/**
 * Claims customers queued for rescoring (skipping rows another instance is claiming) and scores them
 * as of now, read once they are claimed (scoringNow), then drops the claim. `queuedBy` (an instant by
 * the database's clock, databaseNow) leaves out those queued after it; without it, every customer
 * queued by now is a candidate.
 */
export async function rescoreRequested(services: CoreServices, db: Db, options: { limit?: number; queuedBy?: Date } = {}): Promise<number> {
  const claimed = await claimQueuedCustomers(
    db,
    { queuedBy: options.queuedBy ?? (await databaseNow(db)) },
    options.limit ?? SCORING_BATCH_SIZE,
  );
  if (claimed.claimId === null) return 0;
  await scoreClaimed(db, claimed, async () =>
    scoreCustomers(services, db, claimed.customerIds, await scoringNow(db), { broadcastScores: true }),
  );
  return claimed.customerIds.length;
}

/**
 * Runs `score`, the scoring of a claim's customers, then drops the claim. If scoring fails they go back
 * in the queue; if the process dies first, the claim outlives it and a later round queues them again
 * (requeueAbandonedClaims).
 */
async function scoreClaimed<T>(db: Db, { claimId }: ClaimedCustomers, score: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await score();
  } catch (error) {
    if (claimId !== null) await putBackInQueue(db, claimId).catch(() => undefined);
    throw error;
  }
  if (claimId !== null) await releaseClaim(db, claimId);
  return result;
}
