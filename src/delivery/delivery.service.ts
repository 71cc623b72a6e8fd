// Deliveries as the graph and the worker see them: what one job sends (the rows behind a message),
// its outcome, `redeliver`, the per-action list (batched) and the counts per status.
import { STILL_A_CUSTOMER } from '../customers/customer.service';
import { InvalidInputError, NotFoundError, ensure } from '../infra/errors';
import { LoaderRegistry, groupBy } from '../infra/loaders';
import { MARK_BACKGROUND_WORK } from '../infra/shutdown-drain';
import { Db, json, query, queryOne, queryPrepared } from '../infra/sql';
import { addTimeRange } from '../infra/time-range';
import { decodePenalties, decodeSignals, StoredPenalty, StoredSignal } from '../scoring/signal-storage';
import type { PenaltyResult } from '../scoring/model';
import type { DeliveryItem } from './delivery-messages';
import { storableDeliveryError } from './delivery-errors';
import { DELIVER_TASK, destinationIsActiveSql } from './enqueue-deliveries.sql';
import type { SendingState, WithholdReason } from './send-check';

export interface DeliveryRow {
  id: string;
  actionId: string;
  destinationId: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
}

export const DELIVERY_COLUMNS = `d.id::text as id, d.action_id::text as "actionId", d.destination_id::text as "destinationId", d.status, d.attempts,
  d.last_error as "lastError", d.created_at as "createdAt", d.last_attempt_at as "lastAttemptAt", d.next_attempt_at as "nextAttemptAt",
  d.delivered_at as "deliveredAt"`;

/** A destination as the worker needs it, secrets included (never handed to the graph). */
export interface SendingDestination {
  id: string;
  kind: 'WEBHOOK' | 'SLACK' | 'EMAIL';
  name: string;
  url: string | null;
  signingSecret: string | null;
  emailFrom: string | null;
  emailTo: string | null;
  emailSubjectTemplate: string | null;
  emailTextTemplate: string | null;
  emailHtmlTemplate: string | null;
  active: boolean;
}

export interface OpenDeliveries {
  destination: SendingDestination;
  items: DeliveryItem[];
  /** When the earliest of them was (re)queued: the retry window runs from there. */
  retryFrom: Date;
  attempts: number;
  /**
   * Those of them that are customer-facing messages to a customer who has opted out or churned
   * since they were decided: not in `items`, closed without being sent with these outcomes (a digest
   * goes out without them).
   */
  withheld: Array<{ deliveryId: string; outcome: DeliveryOutcome }>;
  /** This attempt's claim on them: recordOutcomes records and frees only what it still holds. */
  claim: string;
}

/** An open delivery of a batch: its own message, with its own retry window and attempt count. */
export interface OpenDelivery extends DeliveryItem {
  retryFrom: Date;
  attempts: number;
  /** Set for a customer-facing message whose customer has opted out or churned since it was decided: it is not sent. */
  withheld: WithholdReason | null;
}

/** What became of the customer, as the reasons and refusals name it. */
const WITHHOLD_REASON_TEXT: Record<WithholdReason, string> = {
  OPTED_OUT: 'opted out of messages',
  CHURNED: 'churned',
};

/** The outcome of a customer-facing message withheld because its customer opted out or churned after it was decided. */
export const WITHHELD: Record<WithholdReason, DeliveryOutcome> = {
  OPTED_OUT: { kind: 'CANCELLED', reason: `the customer has ${WITHHOLD_REASON_TEXT.OPTED_OUT} since this one was decided` },
  CHURNED: { kind: 'CANCELLED', reason: `the customer has ${WITHHOLD_REASON_TEXT.CHURNED} since this one was decided` },
};

/**
 * SQL over a customer row `c`: why a customer-facing message is no longer sent to it ('OPTED_OUT',
 * 'CHURNED'), or null. A customer whose churnedAt has come has cancelled: a message decided while it
 * was at risk ("can we talk this week?") would reach it after it left. Team alerts are not withheld.
 */
const WITHHOLD_REASON_SQL = `case when c.communication_opt_out then 'OPTED_OUT' when not ${STILL_A_CUSTOMER} then 'CHURNED' end`;

/** A batch job's open deliveries, all to one destination. */
export interface OpenBatch {
  destination: SendingDestination;
  items: OpenDelivery[];
  claim: string;
}

type ItemRow = Omit<DeliveryItem, 'signals' | 'penalties'> & {
  destination: SendingDestination;
  signals: StoredSignal[] | null;
  penalties: Array<StoredPenalty | PenaltyResult>;
  retryFrom: string;
  attempts: number;
  withheld: WithholdReason | null;
  claim: string;
};

type OpenWhere = { deliveryId: string } | { digestId: string } | { deliveryIds: readonly string[] };

const OPEN_WHERE = {
  deliveryId: 'd.id = ?::uuid',
  digestId: 'd.digest_id = ?::uuid',
  deliveryIds: 'd.id in (select jsonb_array_elements_text(?::jsonb)::uuid)',
};

/** SQL: a claim's time as text that names it exactly (microseconds, UTC); JavaScript dates keep milliseconds only. */
const CLAIM_TEXT_SQL = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** An attempt found its deliveries open but being sent by another attempt: the job is run again later. */
class DeliveryBeingSentError extends Error {
  constructor() {
    super('another attempt is sending this message: this one runs again once it has ended');
  }
}

/**
 * The open deliveries among `where` (PENDING or RETRYING), with their destination, actions,
 * customers, CSM contacts and latest scores, in one (prepared) statement; null when none is open
 * (sent, cancelled or dead). It runs once per job, so it is one round trip. The statement takes
 * them for this attempt (`sending_since`; recording the outcome frees them) unless another attempt
 * took them less than `leaseMs` ago, the longest an attempt can still be sending: a retry and a
 * `redeliver`, or a redeliver and a batch, never send one message at once. The claim's time is its
 * name (`claim`, to the microsecond): a delivery is taken again only once the lease has run out, so
 * a later claim on it always has a later time. Rows are locked in id order, as recordOutcomes and
 * cancelOpenDeliveries lock them. Open deliveries another attempt is sending throw DeliveryBeingSentError.
 */
async function loadOpen(db: Db, where: OpenWhere, leaseMs: number): Promise<OpenBatch | null> {
  const [key, value] = Object.entries(where)[0] as [keyof typeof OPEN_WHERE, string | readonly string[]];
  const parameter = typeof value === 'string' ? value : json(value);
  const rows = await queryPrepared<ItemRow>(
    db,
    `with leased as (
       update delivery d set sending_since = now()
       where d.id in (select d.id from delivery d where ${OPEN_WHERE[key]} and d.status in ('PENDING', 'RETRYING')
                      and (d.sending_since is null or d.sending_since <= now() - make_interval(secs => ?::float8 / 1000))
                      order by d.id for update)
       returning d.*
     )
     select d.id::text as "deliveryId", d.retry_from as "retryFrom", d.attempts, ${CLAIM_TEXT_SQL('d.sending_since')} as claim,
            case when o.audience = 'CUSTOMER' then ${WITHHOLD_REASON_SQL} end as withheld,
            json_build_object('id', dst.id::text, 'kind', dst.kind, 'name', dst.name, 'url', dst.url, 'signingSecret', dst.signing_secret,
              'emailFrom', dst.email_from, 'emailTo', dst.email_to, 'emailSubjectTemplate', dst.email_subject_template,
              'emailTextTemplate', dst.email_text_template, 'emailHtmlTemplate', dst.email_html_template,
              'active', ${destinationIsActiveSql('dst')}) as destination,
            json_build_object('id', o.id::text, 'playbook', o.playbook, 'action', o.action, 'audience', o.audience, 'channel', o.channel,
              'trigger', o.trigger, 'fromTier', o.from_tier, 'toTier', o.to_tier, 'score', o.score, 'escalation', o.escalation,
              'message', o.message, 'createdAt', to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) as action,
            json_build_object('id', c.id, 'name', c.name, 'arrCents', c.arr_cents::float8, 'csmOwner', c.csm_owner, 'contactEmail', c.contact_email) as customer,
            case when cc.owner is null then null else json_build_object('email', cc.email, 'slackTarget', cc.slack_target) end as csm,
            d.csm_owner as "decidedCsmOwner",
            -- The score before the one that fired the playbook as the scoring that decided the action
            -- wrote it into its message: points scored or rewritten since (a later scoring before a
            -- retry, a backfill before the action's point) do not change what the message said.
            o.previous_score as "previousScore", h.signals, coalesce(h.penalties, '[]'::json) as penalties
     from leased d
     join destination dst on dst.id = d.destination_id
     join outreach_action o on o.id = d.action_id
     join customer c on c.id = d.customer_id
     -- The CSM the delivery was routed to when decided (a digest is collected per that CSM), not the
     -- account's owner now: a digest for kate is not sent to whoever took over its first account.
     left join csm_contact cc on cc.owner = d.csm_owner
     left join lateral (select hs.signals, hs.penalties from health_score hs where hs.customer_id = d.customer_id
                        order by hs.as_of desc, hs.id desc limit 1) h on true
     order by o.created_at, d.id`,
    [parameter, leaseMs],
  );
  if (rows.length === 0) {
    const beingSent = await queryOne<{ leased: boolean }>(
      db,
      `select exists (select 1 from delivery d where ${OPEN_WHERE[key]} and d.status in ('PENDING', 'RETRYING')) as leased`,
      [parameter],
    );
    if (beingSent?.leased) throw new DeliveryBeingSentError();
    return null;
  }
  return {
    destination: rows[0].destination,
    claim: rows[0].claim,
    items: rows.map(({ destination, retryFrom, signals, penalties, claim, ...item }) => ({
      ...item,
      retryFrom: new Date(retryFrom),
      signals: decodeSignals(signals ?? []),
      penalties: decodePenalties(penalties),
    })),
  };
}

/** The open deliveries of one message (a delivery, or a digest's), or null when none is open. */
export async function loadOpenDeliveries(
  db: Db,
  where: { deliveryId: string } | { digestId: string },
  leaseMs: number,
): Promise<OpenDeliveries | null> {
  const open = await loadOpen(db, where, leaseMs);
  if (!open) return null;
  return {
    destination: open.destination,
    claim: open.claim,
    items: open.items.filter((item) => !item.withheld).map(({ retryFrom, attempts, withheld, ...item }) => item),
    retryFrom: new Date(Math.min(...open.items.map((item) => item.retryFrom.getTime()))),
    attempts: Math.max(...open.items.map((item) => item.attempts)),
    withheld: open.items.flatMap(({ deliveryId, withheld }) => (withheld ? [{ deliveryId, outcome: WITHHELD[withheld] }] : [])),
  };
}

/** The still open ones among a batch job's deliveries (a rerun after a crash sends only these), or null. */
export function loadOpenBatch(db: Db, deliveryIds: readonly string[], leaseMs: number): Promise<OpenBatch | null> {
  return loadOpen(db, { deliveryIds }, leaseMs);
}

/**
 * Takes the open deliveries of a destination's digest for one CSM into one message: they get a
 * digest id (the message's `webhook-id` on every attempt). Returns it, or null when none is open.
 * A digest an earlier run of the job collected and never attempted to the end (its instance died
 * after collecting it, or while sending it, and the lease has run out) is returned first, `earlier`
 * (later actions are the next digest). PENDING with a digest id means just that: an attempt
 * records every collected delivery as something else, and a redeliver clears the id.
 */
export async function collectDigest(
  db: Db,
  destinationId: string,
  csmOwner: string | null,
  leaseMs: number,
): Promise<{ digestId: string; earlier: boolean } | null> {
  const row = await queryOne<{ digestId: string | null; earlier: boolean }>(
    db,
    `with unsent as (
       select d.digest_id from delivery d
       where d.destination_id = ?::bigint and d.csm_owner is not distinct from ? and d.status = 'PENDING' and d.digest_id is not null
         and (d.sending_since is null or d.sending_since <= now() - make_interval(secs => ?::float8 / 1000))
       order by d.id limit 1
     ), digest as (select gen_random_uuid() as id), taken as (
       update delivery d set digest_id = (select id from digest)
       where not exists (select 1 from unsent)
         and d.destination_id = ?::bigint and d.csm_owner is not distinct from ? and d.status = 'PENDING' and d.digest_id is null
       returning 1
     )
     select coalesce((select digest_id::text from unsent),
                     case when exists (select 1 from taken) then (select id::text from digest) end) as "digestId",
            exists (select 1 from unsent) as earlier`,
    [destinationId, csmOwner, leaseMs, destinationId, csmOwner],
  );
  return row?.digestId ? { digestId: row.digestId, earlier: row.earlier } : null;
}

/**
 * SQL: the graphile-worker job key of a message's attempts, from the job's payload (a delivery, or a
 * digest; none for a batch): one attempt of a message waits in the queue at a time.
 */
const MESSAGE_JOB_KEY_SQL = (payload: string) =>
  `coalesce('delivery:' || (${payload}->>'deliveryId'), 'digest:' || (${payload}->>'digestId'))`;

/** A job to queue with an outcome: the next attempt of a message. */
export interface DeliveryJob {
  task: string;
  payload: Record<string, string>;
}

/**
 * What became of a delivery. An attempt's outcome carries `attemptedAt`, when that attempt ended (the
 * receiver's answer, or the failure): its `lastAttemptAt`, and for DELIVERED its `deliveredAt`,
 * however long after it the outcome is recorded (a batch records all of its outcomes at its end).
 */
export type DeliveryOutcome =
  | { kind: 'DELIVERED'; attemptedAt: Date }
  | { kind: 'CANCELLED'; reason: string }
  /**
   * `endpointGone`: the receiver answered 410 Gone, and the destination is to be paused. `note`: what
   * `lastError` adds after the failure (the retry window spent: retryWindowSpentNote).
   */
  | { kind: 'DEAD'; error: string; attemptedAt: Date; endpointGone?: boolean; note?: string }
  /** `at`: when the next attempt is due. */
  | { kind: 'RETRYING'; error: string; attemptedAt: Date; at: Date; job: DeliveryJob }
  /** Not attempted: still PENDING, handed to `job`, queued to run at once. */
  | { kind: 'PENDING'; job: DeliveryJob };

/** The `lastError` recordOutcomes stores for `outcome`: none for one delivered or waiting. */
export function lastErrorOf(outcome: Extract<DeliveryOutcome, { kind: 'DEAD' }>): string;
export function lastErrorOf(outcome: DeliveryOutcome): string | null;
export function lastErrorOf(outcome: DeliveryOutcome): string | null {
  if (outcome.kind === 'DELIVERED' || outcome.kind === 'PENDING') return null;
  if (outcome.kind === 'CANCELLED') return outcome.reason;
  return storableDeliveryError(outcome.error, outcome.kind === 'DEAD' ? outcome.note : undefined);
}

/**
 * Records the outcomes of the attempt holding `claim`, one per delivery, in one statement. An
 * outcome is recorded on a delivery still open only (one cancelled meanwhile stays CANCELLED, unless
 * this attempt was sending it then and it was DELIVERED: it reached the receiver all the same), and
 * only while the delivery is still this attempt's: not if another attempt took it once this one
 * outlasted its lease, nor if it was redelivered since it was taken (that attempt or redeliver
 * decides what happens next). DELIVERED is the exception: a message that was sent is recorded so,
 * whoever holds it, and no later attempt sends it again. The attempt's claim is freed on every
 * delivery it still holds, recorded or not, closed meanwhile too (a destination paused mid-send
 * cancelled it): a redeliver of it is then sent at once, not a lease later. Another attempt's claim
 * is left alone. The jobs the recorded outcomes name (the same job
 * once) are queued in the statement: a delivery closed meanwhile gets no further attempt.
 */
export async function recordOutcomes(
  db: Db,
  claim: string,
  outcomes: ReadonlyArray<{ deliveryId: string; outcome: DeliveryOutcome }>,
): Promise<void> {
  if (outcomes.length === 0) return;
  const rows = outcomes.map(({ deliveryId, outcome: o }) => ({
    id: deliveryId,
    status: o.kind,
    error: lastErrorOf(o),
    next_at: o.kind === 'RETRYING' ? o.at.toISOString() : null,
    attempted_at: o.kind === 'DELIVERED' || o.kind === 'RETRYING' || o.kind === 'DEAD' ? o.attemptedAt.toISOString() : null,
    task: o.kind === 'RETRYING' || o.kind === 'PENDING' ? o.job.task : null,
    payload: o.kind === 'RETRYING' || o.kind === 'PENDING' ? o.job.payload : null,
  }));
  await queryPrepared(
    db,
    // What was sent must be recorded: the statement marks itself as background work (for its own
    // implicit transaction, or its caller's), so a stopping server does not end it and have the
    // message sent again. In the statement, not one before it: no round trip more per outcome.
    `with x as (
       select x.* from (select ${MARK_BACKGROUND_WORK}) as background,
         jsonb_to_recordset(?::jsonb) as x(id uuid, status text, error text, next_at timestamptz, attempted_at timestamptz,
                                           task text, payload json)
     ), claim as (
       select ?::timestamptz as at
     ), locked as (
       -- In id order, as cancelOpenDeliveries locks them: the two never deadlock. The rows as they
       -- are once locked (a statement's other reads see them as they were when it began).
       select d.id, d.status in ('PENDING', 'RETRYING') as open, d.status = 'CANCELLED' as cancelled,
              d.sending_since is not distinct from claim.at as mine, d.retry_from > claim.at as redelivered
       from delivery d, claim
       where d.id in (select id from x) and (d.status in ('PENDING', 'RETRYING') or d.sending_since = claim.at)
       order by d.id for update of d
     ), decided as (
       -- A message this attempt sent while its destination was paused or deleted did reach it: DELIVERED.
       select x.*, l.mine, (l.open and (x.status = 'DELIVERED' or (l.mine and not l.redelivered)))
                           or (x.status = 'DELIVERED' and l.mine and l.cancelled) as recorded
       from x join locked l on l.id = x.id
     ), updated as (
       update delivery d set status = x.status, last_error = x.error, next_attempt_at = x.next_at,
              sending_since = case when x.mine then null else d.sending_since end,
              attempts = d.attempts + (x.attempted_at is not null)::int,
              last_attempt_at = coalesce(x.attempted_at, d.last_attempt_at),
              delivered_at = case when x.status = 'DELIVERED' then x.attempted_at else d.delivered_at end
       from decided x where d.id = x.id and x.recorded
       returning x.task, x.payload, x.next_at
     ), released as (
       update delivery d set sending_since = null from decided x where d.id = x.id and x.mine and not x.recorded
       returning 1
     ), jobs as (
       -- Keyed by the message: a redeliver or a later retry replaces the attempt still waiting to run.
       select distinct on (task, payload::text)
              row(task, payload, null, next_at, null, ${MESSAGE_JOB_KEY_SQL('payload')}, null, null)::graphile_worker.job_spec as spec
       from updated where task is not null
     )
     select count(*) from graphile_worker.add_jobs(coalesce((select array_agg(spec) from jobs), '{}'::graphile_worker.job_spec[]))`,
    [json(rows), claim],
  );
}

/**
 * Whether a destination still takes deliveries (not paused, not deleted), and which of `customerIds`
 * have opted out of messages or churned, as committed now: one (prepared) statement, which a batch
 * job runs before its sends (see send-check.ts).
 */
export async function readSendingState(db: Db, destinationId: string, customerIds: readonly string[]): Promise<SendingState> {
  const [row] = await queryPrepared<{ active: boolean | null; withheld: Record<string, WithholdReason> | null }>(
    db,
    `select (select ${destinationIsActiveSql('dst')} from destination dst where dst.id = ?::bigint) as active,
            (select json_object_agg(c.id, c.reason) from (
               select c.id, ${WITHHOLD_REASON_SQL} as reason from customer c where c.id in (select jsonb_array_elements_text(?::jsonb))
             ) c where c.reason is not null) as withheld`,
    [destinationId, json(customerIds)],
  );
  return { destinationActive: row?.active ?? false, withheldCustomers: new Map(Object.entries(row?.withheld ?? {})) };
}

/**
 * Cancels the deliveries still to be sent to a destination (paused or deleted); their jobs then
 * send nothing. Rows are locked in id order, as recordOutcomes locks them, so a batch job recording
 * its outcomes meanwhile waits or is waited for, never deadlocks.
 */
export async function cancelOpenDeliveries(db: Db, destinationId: string, reason: string): Promise<number> {
  const rows = await query(
    db,
    `update delivery set status = 'CANCELLED', last_error = ?, next_attempt_at = null
     where id in (select id from delivery where destination_id = ?::bigint and status in ('PENDING', 'RETRYING') order by id for update)
     returning 1`,
    [reason, destinationId],
  );
  return rows.length;
}

/**
 * Sends a delivery again, whatever its status, as a message of its own with its own id: PENDING,
 * a fresh retry window, queued at once; no longer DELIVERED, it has no deliveredAt until an attempt
 * is accepted again (attempts keeps counting). BAD_USER_INPUT when its destination is paused (saying to
 * resume it) or deleted (which cannot be undone),
 * and for a customer-facing one whose customer has opted out or churned.
 */
export async function redeliver(db: Db, givenId: string): Promise<DeliveryRow> {
  // Trimmed, as every id argument is.
  const deliveryId = givenId.trim();
  ensure(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(deliveryId), 'deliveryId is not a delivery id', {
    argument: 'deliveryId',
  });
  const found = await queryOne<{ deleted: boolean; paused: boolean; withheld: WithholdReason | null }>(
    db,
    `select dst.deleted_at is not null as deleted, dst.paused, case when d.audience = 'CUSTOMER' then ${WITHHOLD_REASON_SQL} end as withheld
     from delivery d join destination dst on dst.id = d.destination_id join customer c on c.id = d.customer_id where d.id = ?::uuid`,
    [deliveryId],
  );
  if (!found) throw new NotFoundError(`delivery ${deliveryId} does not exist`, { deliveryId });
  // A deleted destination is gone for good; a paused one is the admin's to resume.
  ensure(!found.deleted, "the delivery's destination was deleted: its deliveries cannot be redelivered", { argument: 'deliveryId' });
  ensure(!found.paused, "the delivery's destination is paused: resume it first (updateDestination with paused: false)", {
    argument: 'deliveryId',
  });
  if (found.withheld) {
    throw new InvalidInputError(`the customer has ${WITHHOLD_REASON_TEXT[found.withheld]}: a customer-facing delivery is not sent again`, {
      argument: 'deliveryId',
    });
  }
  const row = await queryOne<DeliveryRow>(
    db,
    `with updated as (
       update delivery d set status = 'PENDING', last_error = null, next_attempt_at = null, digest_id = null, retry_from = now(),
              delivered_at = null
       where d.id = ?::uuid returning d.*
     ), queued as (
       select graphile_worker.add_job('${DELIVER_TASK}', json_build_object('deliveryId', d.id), job_key => 'delivery:' || d.id) from updated d
     )
     select ${DELIVERY_COLUMNS} from updated d where (select count(*) from queued) >= 0`,
    [deliveryId],
  );
  return row as DeliveryRow;
}

/** `OutreachAction.deliveries`: every action of a page in one statement. */
export function loadActionDeliveries(db: Db, loaders: LoaderRegistry, actionId: string): Promise<DeliveryRow[]> {
  return loaders
    .get<string, DeliveryRow[]>('OutreachAction.deliveries', async (ids) => {
      const rows = await query<DeliveryRow>(
        db,
        `select ${DELIVERY_COLUMNS} from delivery d where d.action_id in (select jsonb_array_elements_text(?::jsonb)::bigint)
         order by d.action_id, d.destination_id`,
        [json(ids)],
      );
      return groupBy(ids, rows, (row) => row.actionId);
    })
    .load(actionId);
}

export interface StatusCount {
  status: string;
  count: number;
}

/** Deliveries per status, of one destination or all, created in [from, to). */
export async function countDeliveriesByStatus(
  db: Db,
  filter: { destinationIds?: readonly string[] | null; from?: Date | null; to?: Date | null },
): Promise<Array<StatusCount & { destinationId: string }>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.destinationIds) {
    where.push('d.destination_id in (select jsonb_array_elements_text(?::jsonb)::bigint)');
    params.push(json(filter.destinationIds));
  }
  addTimeRange(where, params, 'd.created_at', filter.from, filter.to);
  return query(
    db,
    `select d.destination_id::text as "destinationId", d.status, count(*)::int as count from delivery d
     ${where.length ? `where ${where.join(' and ')}` : ''} group by d.destination_id, d.status order by d.destination_id, d.status`,
    params,
  );
}
