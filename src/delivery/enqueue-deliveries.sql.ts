// Turns the actions a scoring batch just decided into deliveries and queue jobs, in the batch's own
// transaction: one statement for the whole batch. A rolled-back batch leaves no delivery and no
// job; a committed one cannot lose them. graphile-worker's SQL API (`add_jobs`) enqueues set-based,
// and its NOTIFY wakes a worker as the transaction commits.
import { Db, json, query } from '../infra/sql';
import type { TierBand } from '../scoring/model';

/** Sends one delivery: a retry, a `redeliver`, or one a batch job handed on. Payload `{ deliveryId }`. */
export const DELIVER_TASK = 'deliver_outreach';
/** Sends a scoring batch's deliveries to one destination, each as its own message. Payload `{ destinationId, deliveryIds }`. */
export const DELIVER_BATCH_TASK = 'deliver_outreach_batch';
export const DIGEST_TASK = 'deliver_digest';

/** SQL: whether the destination row `alias` still takes deliveries (neither paused nor deleted). */
export const destinationIsActiveSql = (alias: string) => `(${alias}.deleted_at is null and not ${alias}.paused)`;

/** The `lastError` of a delivery to a destination that was paused when its action was decided. */
export const PAUSED_WHEN_DECIDED = 'destination paused when the action was decided: not sent (redeliver sends it once resumed)';

/**
 * Deliveries one batch job takes at most. A job sends them concurrently and records them in one
 * statement, so a crash resends at most this many (under their own ids); several jobs per scoring
 * batch let several workers, and instances, share a large batch.
 */
export const DELIVERIES_PER_BATCH_JOB = 200;

/** The job key that collects a destination's digest for one CSM: later actions join the waiting job. */
export const DIGEST_KEY_SQL = `'digest:' || d.destination_id || ':' || coalesce(d.csm_owner, '')`;

/**
 * SQL: whether a delivery of `audience` to a destination of kind `kind` reaches the customer, the one
 * rule for the deliveries being written and for those of the week the cap counts. A customer-facing
 * action posted to Slack tells the team, never the customer; an email needs an address to go to
 * (`hasAddress`): without one it is DEAD at its first attempt, and takes no place of the week's that
 * a webhook could use.
 */
function reachesCustomerSql(audience: string, kind: string, hasAddress: string): string {
  return `(${audience} = 'CUSTOMER' and ${kind} <> 'SLACK' and (${kind} <> 'EMAIL' or ${hasAddress}))`;
}

/**
 * SQL: the common tables `batched` and `specs` of enqueueDeliveries, the jobs of the PENDING deliveries
 * it `inserted`: batch jobs of up to DELIVERIES_PER_BATCH_JOB per destination, and for a digest
 * destination the one job of its CSM.
 */
const JOB_SPECS_SQL = `batched as (
       select d.id, d.destination_id,
              (row_number() over (partition by d.destination_id order by d.id) - 1) / ${DELIVERIES_PER_BATCH_JOB} as chunk
       from inserted d join destination dst on dst.id = d.destination_id
       where d.status = 'PENDING' and dst.digest_seconds is null
     ), specs as (
       select row('${DELIVER_BATCH_TASK}', json_build_object('destinationId', b.destination_id::text, 'deliveryIds', json_agg(b.id order by b.id)),
                  null, null, null, null, null, null)::graphile_worker.job_spec as spec
       from batched b group by b.destination_id, b.chunk
       union all
       select distinct on (${DIGEST_KEY_SQL})
              row('${DIGEST_TASK}', json_build_object('destinationId', d.destination_id::text, 'csmOwner', d.csm_owner), null,
                  now() + make_interval(secs => dst.digest_seconds), null, ${DIGEST_KEY_SQL}, null, null)::graphile_worker.job_spec
       from inserted d join destination dst on dst.id = d.destination_id
       where d.status = 'PENDING' and dst.digest_seconds is not null`;

/** The weekly cap on the messages that reach one customer. */
export interface CustomerMessageCap {
  /** Customer-facing messages one customer may get in 7 days (`CUSTOMER_MESSAGES_PER_WEEK`). */
  perWeek: number;
  /** The scoring model's tiers: their severities tell a message decided in a worse tier than the week's. */
  tiers: readonly Pick<TierBand, 'key' | 'severity'>[];
}

/**
 * For each DECIDED action of `actionIds`, one delivery per destination (not deleted) whose filter
 * matches it. To a paused destination it is written CANCELLED, not sent (PAUSED_WHEN_DECIDED): what a
 * destination missed while paused (after its receiver answered 410 Gone, say) is in the log, and
 * `redeliver` sends it once the destination is resumed. The cap counts messages, not deliveries: a customer-facing action is one message to its
 * customer however many destinations take it (a webhook to the CRM and the customer's mailbox
 * alike), and its deliveries that may reach the customer (email and webhook; not Slack, a team
 * channel, nor an email to a customer without a contact address) are all sent or all written
 * SKIPPED_WEEKLY_CAP and not queued. Past `cap.perWeek` actions for their customer in the last 7
 * days (those with a delivery sent or still being tried, not dead or cancelled; for a rescue, any
 * action but an expansion play's, only the week's rescues), an action is skipped, but for a rescue
 * decided in a tier worse than every one the week's rescues were decided in: its playbook's first
 * customer-facing action still goes to every destination taking it. A mild tier's check-in must not
 * keep the critical one's "can we talk?" from the customer, and as each such message raises the
 * week's worst tier, a week holds at most one per tier above the mildest. The customer's row, locked
 * by the scoring batch, keeps two instances from counting the same week at once. The PENDING
 * deliveries of a destination without digest become batch jobs of up to DELIVERIES_PER_BATCH_JOB
 * each; those of a digest destination join (or start) the one job of their destination and CSM, due
 * `digestSeconds` after it was started. Returns the deliveries written.
 */
export async function enqueueDeliveries(tx: Db, actionIds: readonly string[], cap: CustomerMessageCap): Promise<number> {
  if (actionIds.length === 0) return 0;
  const severities = Object.fromEntries(cap.tiers.map((tier) => [tier.key, tier.severity]));
  const [row] = await query<{ deliveries: number }>(
    tx,
    `with settings as (
       select ?::jsonb as severity, ?::int as per_week, ?::text as paused_note
     ), actions as (
       select o.id, o.customer_id, o.audience, o.playbook, o.to_tier, c.csm_owner, c.contact_email, o.trigger = 'EXPANSION' as upsell
       from outreach_action o join customer c on c.id = o.customer_id
       where o.id in (select jsonb_array_elements_text(?::jsonb)::bigint) and o.status = 'DECIDED'
         -- Asked once for the statement: without a destination, no action is read.
         and exists (select 1 from destination dst where dst.deleted_at is null)
     ), matched as (
       select a.*, dst.id as destination_id, dst.paused,
              ${reachesCustomerSql('a.audience', 'dst.kind', 'a.contact_email is not null')} as reaches_customer
       from actions a
       join destination dst on dst.deleted_at is null
        and (dst.audience is null or dst.audience = a.audience)
        and (dst.playbooks is null or a.playbook = any(dst.playbooks))
        and (dst.tiers is null or a.to_tier = any(dst.tiers))
        and (dst.csm_owner is null or dst.csm_owner = a.csm_owner)
     ), sent_this_week as (
       -- Messages, not deliveries: an action sent through a webhook and by email is one. An upsell
       -- counts every message of the week; a rescue counts only the week's rescues: an upsell sent on
       -- Monday must not keep Wednesday's offer of help from the customer. The worst tier of the
       -- week's rescues: one this model does not know (an older tier scheme's) counts as worse than
       -- any, letting nothing past the cap. An email still to be sent goes to the customer's address as
       -- it is when sent: one they have now; a delivered one had an address.
       select x.customer_id, count(distinct x.action_id) as sent,
              count(distinct x.action_id) filter (where xo.trigger <> 'EXPANSION') as rescues_sent,
              max(coalesce((st.severity ->> xo.to_tier)::int, 2147483647)) filter (where xo.trigger <> 'EXPANSION') as worst_rescue
       from delivery x join destination xd on xd.id = x.destination_id
       join customer xc on xc.id = x.customer_id
       join outreach_action xo on xo.id = x.action_id
       cross join settings st
       where x.customer_id in (select customer_id from matched where reaches_customer)
         and ${reachesCustomerSql('x.audience', 'xd.kind', "(x.status = 'DELIVERED' or xc.contact_email is not null)")}
         and x.created_at > now() - interval '7 days' and x.status not in ('SKIPPED_WEEKLY_CAP', 'CANCELLED', 'DEAD')
       group by x.customer_id
     ), ranked as (
       select m.*, s.worst_rescue, (st.severity ->> m.to_tier)::int as severity, st.per_week,
              coalesce(case when m.upsell then s.sent else s.rescues_sent end, 0) as sent_before,
              -- The action's place among the customer's messages of this batch, the same for each of its deliveries.
              dense_rank() over (partition by m.customer_id, m.reaches_customer order by m.id) as nth_in_batch
       from matched m left join sent_this_week s on s.customer_id = m.customer_id cross join settings st
       -- What a paused destination is not sent takes no place of the week's.
       where not m.paused
     ), inserted as (
       insert into delivery (action_id, destination_id, customer_id, audience, csm_owner, status, last_error)
       select id, destination_id, customer_id, audience, csm_owner,
              case when not reaches_customer or sent_before + nth_in_batch <= per_week then 'PENDING'
                   -- Past the cap: the first message of a rescue decided in a tier worse than all the week's.
                   when not upsell and nth_in_batch = 1 and per_week > 0 and severity > worst_rescue then 'PENDING'
                   else 'SKIPPED_WEEKLY_CAP' end, null
       from ranked
       union all
       -- Recorded, not sent: once the destination is resumed, redeliver sends what it missed.
       select id, destination_id, customer_id, audience, csm_owner, 'CANCELLED', st.paused_note
       from matched cross join settings st where paused
       returning id, destination_id, csm_owner, status
     ), ${JOB_SPECS_SQL}
     ), queued as (
       -- preserve_run_at: an action joining a waiting digest does not push its due time back.
       select count(*) from graphile_worker.add_jobs(coalesce((select array_agg(spec) from specs), '{}'::graphile_worker.job_spec[]), true)
     )
     select (select count(*) from inserted)::int as deliveries, (select count(*) from queued)::int as jobs`,
    [json(severities), cap.perWeek, PAUSED_WHEN_DECIDED, json(actionIds)],
  );
  return row.deliveries;
}
