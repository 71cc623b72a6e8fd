// The queue of customers whose score is stale, and the one way to say "signals arrived". Every write
// of a scoring input (an engagement event, an NPS answer, a payment, a support ticket, a new customer,
// a change of its plan or churn date) runs through `signalsArrived`, in its service: the write's own
// statement queues its customers (`rescore_request`), and once that commits the scheduler is woken.
// From there (README, "When scoring runs"): ScoringScheduler.scheduleRescore (debounce) →
// rescoreQueued → rescoreRequested (claimQueuedCustomers) → scoreCustomers → scoreCustomerBatch →
// publishBatch.
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
 * one round trip; its lock order (queue rows before the rows the write adds to) is the caller's.
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
 * Queues the customers whose churn date has come since they were last scored (`upsertCustomer` takes
 * one up to a day ahead): each scoring round stages them CHURNED, as a churn date already past is at
 * once, rather than the next full run an hour later, while the worklist and summaries, which compare
 * the date with now, already leave them out. Read through its partial index: usually none.
 */
export async function queueChurnsDue(db: Db): Promise<void> {
  // Now by this process's clock, which its scoring reads too: by the database's, a clock behind it
  // would score the customer before its churn date, and queue it again every round until they agree.
  await query(db, queueRescoreStatement(`select id from customer where scored_at < churned_at and churned_at <= ?::timestamptz`), [
    new Date().toISOString(),
  ]);
}

/**
 * Takes up to `limit` customers queued at or before `queuedBy` off the queue, oldest first, skipping
 * rows another instance is claiming (`FOR UPDATE SKIP LOCKED`): instances share the work.
 */
export async function claimQueuedCustomers(db: Db, queuedBy: Date, limit: number): Promise<Array<{ id: string; requestedAt: string }>> {
  return query<{ id: string; requestedAt: string }>(
    db,
    `delete from rescore_request
     where customer_id in (select customer_id from rescore_request where requested_at <= ?::timestamptz
                           order by requested_at limit ? for update skip locked)
     returning customer_id as id, requested_at as "requestedAt"`,
    [queuedBy.toISOString(), limit],
  );
}

/** Puts claimed customers back in the queue (their scoring failed), with their first request time. */
export async function putBackInQueue(db: Db, claimed: Array<{ id: string; requestedAt: string }>): Promise<void> {
  await query(
    db,
    `insert into rescore_request (customer_id, requested_at)
     select x.id, x."requestedAt" from json_to_recordset(?::json) as x(id text, "requestedAt" timestamptz)
     where exists (select 1 from customer c where c.id = x.id)
     on conflict (customer_id) do nothing`,
    [json(claimed)],
  );
}
