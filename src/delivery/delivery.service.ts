// Deliveries as the graph and the worker see them: what one job sends (the rows behind a message),
// its outcome, `redeliver`, the per-action list (batched) and the counts per status.
import { NotFoundError, ensure } from '../infra/errors';
import { LoaderRegistry, groupBy } from '../infra/loaders';
import { Db, json, query, queryOne, queryPrepared } from '../infra/sql';
import { decodeSignals, StoredSignal } from '../scoring/signal-storage';
import type { DeliveryItem } from './delivery-messages';
import { DELIVER_TASK } from './enqueue-deliveries.sql';

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
}

type ItemRow = Omit<DeliveryItem, 'signals'> & {
  destination: SendingDestination;
  signals: StoredSignal[] | null;
  retryFrom: string;
  attempts: number;
};

/**
 * The open deliveries among `where` (PENDING or RETRYING), with their destination, actions,
 * customers, CSM contacts and latest scores, in one (prepared) statement; null when none is open
 * (sent, cancelled or dead). It runs once per attempt, so it is one round trip.
 */
export async function loadOpenDeliveries(db: Db, where: { deliveryId: string } | { digestId: string }): Promise<OpenDeliveries | null> {
  const byDigest = 'digestId' in where;
  const rows = await queryPrepared<ItemRow>(
    db,
    `select d.id::text as "deliveryId", d.retry_from as "retryFrom", d.attempts,
            json_build_object('id', dst.id::text, 'kind', dst.kind, 'name', dst.name, 'url', dst.url, 'signingSecret', dst.signing_secret,
              'emailFrom', dst.email_from, 'emailTo', dst.email_to, 'emailSubjectTemplate', dst.email_subject_template,
              'emailTextTemplate', dst.email_text_template, 'emailHtmlTemplate', dst.email_html_template,
              'active', dst.deleted_at is null and not dst.paused) as destination,
            json_build_object('id', o.id::text, 'playbook', o.playbook, 'action', o.action, 'audience', o.audience, 'channel', o.channel,
              'trigger', o.trigger, 'fromTier', o.from_tier, 'toTier', o.to_tier, 'score', o.score, 'escalation', o.escalation,
              'message', o.message, 'createdAt', to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) as action,
            json_build_object('id', c.id, 'name', c.name, 'arrCents', c.arr_cents::float8, 'csmOwner', c.csm_owner, 'contactEmail', c.contact_email) as customer,
            case when cc.owner is null then null else json_build_object('email', cc.email, 'slackTarget', cc.slack_target) end as csm,
            h.previous_score as "previousScore", h.signals
     from delivery d
     join destination dst on dst.id = d.destination_id
     join outreach_action o on o.id = d.action_id
     join customer c on c.id = d.customer_id
     left join csm_contact cc on cc.owner = c.csm_owner
     left join lateral (select hs.previous_score, hs.signals from health_score hs where hs.customer_id = d.customer_id
                        order by hs.as_of desc, hs.id desc limit 1) h on true
     where ${byDigest ? 'd.digest_id = ?::uuid' : 'd.id = ?::uuid'} and d.status in ('PENDING', 'RETRYING')
     order by o.created_at, d.id`,
    [byDigest ? where.digestId : where.deliveryId],
  );
  if (rows.length === 0) return null;
  return {
    destination: rows[0].destination,
    items: rows.map(({ destination, retryFrom, attempts, signals, ...item }) => ({ ...item, signals: decodeSignals(signals ?? []) })),
    retryFrom: new Date(Math.min(...rows.map((r) => Date.parse(r.retryFrom)))),
    attempts: Math.max(...rows.map((r) => r.attempts)),
  };
}

/**
 * Takes the open deliveries of a destination's digest for one CSM into one message: they get a
 * digest id (the message's `webhook-id` on every attempt). Returns it, or null when none is open.
 */
export async function collectDigest(db: Db, destinationId: string, csmOwner: string | null): Promise<string | null> {
  const row = await queryOne<{ digestId: string | null }>(
    db,
    `with digest as (select gen_random_uuid() as id), taken as (
       update delivery d set digest_id = (select id from digest)
       where d.destination_id = ?::bigint and d.csm_owner is not distinct from ? and d.status = 'PENDING' and d.digest_id is null
       returning 1
     )
     select case when exists (select 1 from taken) then (select id::text from digest) end as "digestId"`,
    [destinationId, csmOwner],
  );
  return row?.digestId ?? null;
}

export type DeliveryOutcome =
  | { kind: 'DELIVERED' }
  | { kind: 'CANCELLED'; reason: string }
  | { kind: 'DEAD'; error: string }
  | { kind: 'RETRYING'; error: string; at: Date; job: { task: string; payload: Record<string, string> } };

/** Records an attempt's outcome on every delivery of a message; a retry's job is queued in the same statement. */
export async function recordOutcome(db: Db, deliveryIds: readonly string[], outcome: DeliveryOutcome): Promise<void> {
  const attempted = outcome.kind === 'CANCELLED' ? 'attempts' : 'attempts + 1';
  const error = outcome.kind === 'DELIVERED' ? null : outcome.kind === 'CANCELLED' ? outcome.reason : outcome.error.slice(0, 2000);
  const next = outcome.kind === 'RETRYING' ? outcome.at.toISOString() : null;
  await queryPrepared(
    db,
    `with updated as (
       update delivery set status = ?, attempts = ${attempted}, last_error = ?, next_attempt_at = ?::timestamptz,
              last_attempt_at = ${outcome.kind === 'CANCELLED' ? 'last_attempt_at' : 'now()'},
              delivered_at = ${outcome.kind === 'DELIVERED' ? 'now()' : 'delivered_at'}
       where id = any(?::uuid[]) and status in ('PENDING', 'RETRYING')
       returning id
     )
     select graphile_worker.add_job(?::text, ?::json, run_at => ?::timestamptz)
     from (select 1 from updated limit 1) u where ?::text is not null`,
    [
      outcome.kind,
      error,
      next,
      deliveryIds,
      outcome.kind === 'RETRYING' ? outcome.job.task : '',
      outcome.kind === 'RETRYING' ? json(outcome.job.payload) : '{}',
      next,
      next,
    ],
  );
}

/** Cancels the deliveries still to be sent to a destination (paused or deleted); their jobs then send nothing. */
export async function cancelOpenDeliveries(db: Db, destinationId: string, reason: string): Promise<number> {
  const rows = await query(
    db,
    `update delivery set status = 'CANCELLED', last_error = ?, next_attempt_at = null
     where destination_id = ?::bigint and status in ('PENDING', 'RETRYING') returning 1`,
    [reason, destinationId],
  );
  return rows.length;
}

/**
 * Sends a delivery again, whatever its status, as a message of its own with its own id: PENDING,
 * a fresh retry window, queued at once. BAD_USER_INPUT when its destination is paused or deleted.
 */
export async function redeliver(db: Db, deliveryId: string): Promise<DeliveryRow> {
  ensure(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(deliveryId), 'deliveryId is not a delivery id', {
    argument: 'deliveryId',
  });
  const found = await queryOne<{ active: boolean }>(
    db,
    `select (dst.deleted_at is null and not dst.paused) as active from delivery d join destination dst on dst.id = d.destination_id where d.id = ?::uuid`,
    [deliveryId],
  );
  if (!found) throw new NotFoundError(`delivery ${deliveryId} does not exist`, { deliveryId });
  ensure(found.active, "the delivery's destination is paused or deleted: resume it first", { argument: 'deliveryId' });
  const row = await queryOne<DeliveryRow>(
    db,
    `with updated as (
       update delivery d set status = 'PENDING', last_error = null, next_attempt_at = null, digest_id = null, retry_from = now()
       where d.id = ?::uuid returning d.*
     ), queued as (
       select graphile_worker.add_job('${DELIVER_TASK}', json_build_object('deliveryId', d.id)) from updated d
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
  if (filter.from) {
    where.push('d.created_at >= ?');
    params.push(filter.from.toISOString());
  }
  if (filter.to) {
    where.push('d.created_at < ?');
    params.push(filter.to.toISOString());
  }
  return query(
    db,
    `select d.destination_id::text as "destinationId", d.status, count(*)::int as count from delivery d
     ${where.length ? `where ${where.join(' and ')}` : ''} group by d.destination_id, d.status order by d.destination_id, d.status`,
    params,
  );
}
