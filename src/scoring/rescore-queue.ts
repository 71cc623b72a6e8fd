// The queue of customers whose score is stale, and the one way to say "signals arrived". Every write
// of a scoring input (an engagement event, an NPS answer, a payment, a support ticket, a new customer,
// a change of its plan or churn date) runs through `signalsArrived`, in its service: the write's own
// statement queues its customers (`rescore_request`), and once that commits the scheduler is woken.
// From there (README, "When scoring runs"): ScoringScheduler.scheduleRescore (debounce) →
// rescoreQueued → rescoreRequested (claimQueuedCustomers) → scoreCustomers → scoreCustomerBatch →
// publishBatch.
import { MARK_BACKGROUND_WORK } from '../infra/shutdown-drain';
import { afterCommit, Db, json, query } from '../infra/sql';

/** What a write wakes once it has committed: this process's scoring scheduler (`ScoringScheduler`). */
export interface RescoreScheduler {
  scheduleRescore(): void;
}

/**
 * The statement that queues customers, for the write's own WITH list: `customerIds` is a query of
 * one column of ids of existing customers (duplicates allowed). Queued in id order, skipping those
 * already queued; returns one row per newly queued customer.
 */
export type QueueRescore = (customerIds: string) => string;

/**
 * The insert that queues `customerIds` (a one-column query of existing customer ids). Most are
 * already queued while events stream in: an anti-join skips them for a fraction of the cost of a
 * conflicting insert; the conflict clause covers a concurrent writer. Writes through a Db use
 * `signalsArrived`; the bulk import (its own COPY connection) puts this in its merge and wakes the
 * scheduler itself.
 *
 * A write that finds its customer already queued relies on that queue row to get its signals scored,
 * so it holds the row (KEY SHARE, which writers share) until it commits: a claim skips locked rows,
 * so the customer is claimed after the write's signals are visible, not scored without them and
 * taken off the queue while they are still uncommitted. A row claimed first is gone by the time the
 * write looks (the lock waits for the claim to commit), and the write queues the customer again.
 */
export function queueRescoreStatement(customerIds: string): string {
  return `insert into rescore_request (customer_id)
       select distinct queued.id from (${customerIds}) as queued(id)
       where not exists (select 1 from rescore_request r where r.customer_id = queued.id for key share) order by 1
       on conflict (customer_id) do nothing returning customer_id`;
}

/**
 * Runs `write`, a write of scoring inputs that must put `queueRescore(…)` in its statement (it throws
 * otherwise), then, unless `write` threw (bad input, an unknown customer), wakes `scheduler` once the
 * write has committed (at once outside a transaction,
 * after the commit of the transaction `db` is in). `scheduler` is null where no scheduler runs in the
 * process (scripts): a server's scheduler picks the queue up when it starts and on its next round.
 *
 * Queuing is part of the write's statement rather than one more statement so an ingestion call stays
 * one round trip; its lock order is the caller's (for events, THE LOCK ORDER in engagement.service.ts:
 * the events, then the queue rows, then the rollup rows).
 */
export async function signalsArrived<T>(
  db: Db,
  scheduler: RescoreScheduler | null,
  write: (queueRescore: QueueRescore) => Promise<T>,
): Promise<T> {
  let queued = false;
  const queueRescore: QueueRescore = (customerIds) => {
    queued = true;
    return queueRescoreStatement(customerIds);
  };
  const result = await write(queueRescore);
  if (!queued) throw new Error('a write of scoring inputs must queue its customers (queueRescore)');
  if (scheduler) afterCommit(db, () => scheduler.scheduleRescore());
  return result;
}

/**
 * Queues the customers whose sign-up or churn date has come since they were last scored, dates given
 * ahead (`upsertCustomer` takes either up to a day ahead). A customer is scored only from its start
 * (its sign-up when it has one): the round its arrival queued, or the one a sign-up moved ahead
 * queued (which forgot its scores), scored it before its start and left it unscored, in no tier and
 * no summary, and each round from its sign-up on scores it, rather than the next full run an hour
 * later. A churn date come stages the account CHURNED, as one already past is at once, while the
 * worklist and summaries, which compare the date with now, already leave it out. Each read through
 * its partial index: usually none.
 */
export async function queueDatesComeDue(db: Db): Promise<void> {
  // Now by the later of the database's clock and this process's, the clocks the round's scoring reads
  // too (scoringNow, read after this): by a clock ahead of that instant, the customer would be scored
  // before its date, and queued again every round until the clocks agree.
  const now = 'greatest(statement_timestamp(), ?::timestamptz)';
  const processNow = new Date().toISOString();
  await query(
    db,
    queueRescoreStatement(
      `select id from customer where scored_at < churned_at and churned_at <= ${now}
       union all
       select id from customer where (scored_at is null or scored_at < signed_up_at) and signed_up_at <= ${now}`,
    ),
    [processNow, processNow],
  );
}

/**
 * How long after its claim a round's customers are taken for abandoned, the process that claimed them
 * having died before their scores were committed, and queued again. A round scores one batch (at
 * most SCORING_BATCH_SIZE customers), which takes seconds; a round still going past this only scores
 * some customers twice.
 */
export const CLAIM_LEASE_MS = 120_000;

/** Customers taken off the queue by one round (`claimQueuedCustomers`), and the claim that keeps them until they are scored. */
export interface ClaimedCustomers {
  claimId: string | null;
  /** Their ids; the claim keeps each one's first request time, for putting it back. */
  customerIds: string[];
}

/** Which queued customers a claim takes: those queued at or before an instant, or given ones. */
export type ClaimScope = { queuedBy: Date } | { customerIds: string[] };

/**
 * Now by the database's clock: the clock that dates the queue (`requested_at`) and a new customer
 * (`created_at`, its start without a signup or a signal), which may be ahead of this process's. A
 * round compares the queue with it: by its own clock, it would leave every customer queued within
 * the gap for the round after the gap has passed.
 */
export async function databaseNow(db: Db): Promise<Date> {
  const [row] = await query<{ at: Date }>(db, 'select statement_timestamp() as at');
  return new Date(row.at);
}

/**
 * Takes up to `limit` customers of `scope` off the queue, oldest first, skipping
 * rows another instance is claiming (`FOR UPDATE SKIP LOCKED`): instances share the work. The same
 * statement records them in a claim (`rescore_claim`), which `releaseClaim` drops once their scores
 * are committed: were the process to die between the two, the claim outlives it, and
 * `requeueAbandonedClaims` queues them again. The queue rows themselves go at once, so that a signal
 * arriving while they are scored queues its customer anew (queueRescoreStatement).
 *
 * This statement, like those that drop or requeue a claim, is the scheduler's (background work): it
 * marks itself (MARK_BACKGROUND_WORK) so that a stopping server's drain, which ends the requests still
 * at work, does not end it as one of them.
 */
export async function claimQueuedCustomers(db: Db, scope: ClaimScope, limit: number): Promise<ClaimedCustomers> {
  const [condition, binding] =
    'queuedBy' in scope
      ? ['requested_at <= ?::timestamptz', scope.queuedBy.toISOString()]
      : ['customer_id in (select jsonb_array_elements_text(?::jsonb))', json(scope.customerIds)];
  const rows = await query<{ id: string; claimId: string }>(
    db,
    `with claimed as (
       delete from rescore_request
       where customer_id in (select customer_id from (select ${MARK_BACKGROUND_WORK}) as background, rescore_request
                             where ${condition}
                             order by requested_at limit ? for update of rescore_request skip locked)
       returning customer_id as id, requested_at as "requestedAt"
     ), claim as (
       insert into rescore_claim (customers) select jsonb_agg(to_jsonb(claimed)) from claimed having count(*) > 0 returning id
     )
     select claimed.id, (select id::text from claim) as "claimId" from claimed`,
    [binding, limit],
  );
  return { claimId: rows[0]?.claimId ?? null, customerIds: rows.map((row) => row.id) };
}

/** Drops a claim whose customers' scores are committed. */
export async function releaseClaim(db: Db, claimId: string): Promise<void> {
  await query(db, `delete from rescore_claim using (select ${MARK_BACKGROUND_WORK}) as background where id = ?`, [claimId]);
}

/**
 * Queues the customers of the claims `which` selects again (a customer since deleted excepted), with
 * their first request time, and drops the claims: one statement, so a claim is never both queued again
 * and kept. Background work, as the claim is (see claimQueuedCustomers).
 */
async function requeueClaims(db: Db, which: string, bindings: unknown[]): Promise<number> {
  const rows = await query<{ n: number }>(
    db,
    `with gone as (delete from rescore_claim using (select ${MARK_BACKGROUND_WORK}) as background where ${which} returning customers),
     queued as (
       insert into rescore_request (customer_id, requested_at)
       select x.id, x."requestedAt" from gone, jsonb_to_recordset(gone.customers) as x(id text, "requestedAt" timestamptz)
       where exists (select 1 from customer c where c.id = x.id)
       -- In id order, as every write queues: two inserts locking the same rows in orders of their own deadlock.
       order by x.id
       on conflict (customer_id) do nothing returning 1
     )
     select count(*)::int as n from queued`,
    bindings,
  );
  return rows[0].n;
}

/** Puts a claim's customers back in the queue (their scoring failed), with their first request time. */
export async function putBackInQueue(db: Db, claimId: string): Promise<void> {
  await requeueClaims(db, 'id = ?', [claimId]);
}

/**
 * Queues again the customers of claims older than CLAIM_LEASE_MS (by the database's clock, which every
 * instance shares): a process died between claiming them and committing their scores. Each round
 * calls it first, so they are scored at the latest a sweep (RESCORE_SWEEP_MS) after the lease.
 */
export async function requeueAbandonedClaims(db: Db): Promise<number> {
  return requeueClaims(db, `claimed_at < now() - ? * interval '1 millisecond'`, [CLAIM_LEASE_MS]);
}
