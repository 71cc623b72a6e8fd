// When a customer starts, for scoring: no score, backfill point or backtest snapshot exists before it.

/**
 * SQL for the start of the customer row `alias`: its signup; without one, its first recorded signal
 * (an event, a payment, as it stands or as it stood before a change of status, a ticket, a survey
 * answer) or its creation, whichever came first. So a
 * history imported for customers created today is scored as it happened, and nobody is scored as
 * of a time before anything was known of them. The lookups (one index probe each) run only for
 * customers without a signup: `coalesce` stops at the first value that is not null.
 */
export function customerStartSql(alias: string): string {
  return `coalesce(${alias}.signed_up_at, least(${alias}.created_at,
    ${firstActivitySql(alias)},
    (select min(p.occurred_at) from payment p where p.customer_id = ${alias}.id),
    (select min(s.occurred_at) from payment_earlier_state s where s.customer_id = ${alias}.id),
    (select min(t.opened_at) from support_ticket t where t.customer_id = ${alias}.id),
    (select min(n.responded_at) from nps_response n where n.customer_id = ${alias}.id)))`;
}

/**
 * SQL for the first engagement event ever recorded of the customer row `alias` (one index probe):
 * in use that long ago, a customer thinly observed now is a returning one, not a new one (lifecycle.ts).
 */
export function firstActivitySql(alias: string): string {
  return `(select min(e.occurred_at) from engagement_event e where e.customer_id = ${alias}.id)`;
}
