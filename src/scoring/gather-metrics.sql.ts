// The raw per-customer aggregates a scoring model asks for, computed set-based: one statement per
// signal table for a whole batch of customers, each metric a FILTERed aggregate over its window
// ending at `asOf` (start exclusive, end inclusive). Nothing after `asOf` is seen.
// Engagement, the big table, has its own statement (engagement-metrics.sql.ts); seats and ARR over
// time come from the plan-change history, ticket states from the ticket status history and earlier
// states (severity, rating), payments' states from their earlier states.
import { Db, json, query } from '../infra/sql';
import { DETRACTOR_MAX_SCORE, PROMOTER_MIN_SCORE } from '../nps/nps-categories';
import { aggregateEngagement, checkedDays, engagementExtentDays } from './engagement-metrics.sql';
import {
  AWAITING_PAYMENT_GRACE_DAYS,
  LATE_FOR_ANYONE_DAYS,
  LATENESS_HISTORY_DAYS,
  NPS_HALF_LIFE_DAYS,
  UNPAID_GRACE_DAYS,
  USAGE_METRICS,
} from './model';
import type { MetricRequest, MetricValues } from './model';

export interface GatheredCustomer {
  metrics: MetricValues;
  /** Last engagement event at or before asOf within the scanned range; null when none. */
  lastActivityAt: Date | null;
}

/** `(asOf − N days, asOf]` as SQL over column `column`; `p.as_of` comes from the params CTE (with the batch's `ids`). */
function inWindow(column: string, days: number, offsetDays = 0): string {
  const end = offsetDays === 0 ? 'p.as_of' : `p.as_of - interval '${offsetDays} days'`;
  return `${column} > p.as_of - interval '${days + offsetDays} days' and ${column} <= ${end}`;
}

const PAYMENT_METRICS = new Set([
  'payment_success_rate',
  'late_payments',
  'payment_failure_streak',
  'unpaid_past_due',
  'failed_invoice_streak',
  'unpaid_past_grace',
  'unpaid_later_than_usual',
]);
const SUPPORT_METRICS = new Set([
  'csat_mean',
  'open_tickets',
  'ticket_count',
  'ticket_volume_trend',
  'urgent_open_tickets',
  'urgent_tickets_open_throughout',
  'rated_tickets',
]);
const NPS_METRICS = new Set(['nps', 'nps_weighted', 'nps_mean_score', 'nps_angry_answers']);
const COUNT_METRICS = new Set([
  'active_days',
  'team_active_days',
  'distinct_features',
  'users_added',
  'late_payments',
  'open_tickets',
  'ticket_count',
  'payment_failure_streak',
  'unpaid_past_due',
  'failed_invoice_streak',
  'unpaid_past_grace',
  'unpaid_later_than_usual',
  'urgent_open_tickets',
  'urgent_tickets_open_throughout',
  'rated_tickets',
  'nps_angry_answers',
  'ticket_volume_trend',
]);

/** A ticket is open at `instant` when its last status change at or before then is OPEN or PENDING. */
function ticketOpenAt(instant: string): string {
  return `x.opened_at <= ${instant} and (
    select s.status from support_ticket_status_change s where s.ticket_id = x.id and s.changed_at <= ${instant}
    order by s.changed_at desc, s.id desc limit 1) in ('OPEN', 'PENDING')`;
}

const TICKET_OPEN_AT_AS_OF = ticketOpenAt('p.as_of');

/** A ticket open throughout `(p.as_of − days, p.as_of]`: open at both ends, and not solved in between (solved and reopened). */
function ticketOpenThroughout(days: number): string {
  const start = `(p.as_of - interval '${days} days')`;
  return `${ticketOpenAt(start)} and ${TICKET_OPEN_AT_AS_OF} and not exists (
    select 1 from support_ticket_status_change s where s.ticket_id = x.id and s.status = 'SOLVED'
      and s.changed_at > ${start} and s.changed_at <= p.as_of)`;
}

/**
 * A ticket's `column` (severity or csat_rating) at `p.as_of`: that of the earliest of its earlier
 * states that ended after then, else its own.
 */
function ticketAtAsOf(column: 'severity' | 'csat_rating'): string {
  return `(case when e.id is null then x.${column} else e.${column} end)`;
}

/** The earliest earlier state of ticket `x` that ended after `p.as_of` (none: the ticket is as it is). */
const TICKET_EARLIER_STATE = `left join lateral (select e.id, e.severity, e.csat_rating from support_ticket_earlier_state e
    where e.ticket_id = x.id and e.ended_at > p.as_of order by e.ended_at, e.id limit 1) e on true`;

/** A payment's columns as of `p.as_of`: those of its earlier state `e` when it has one then, else its row `r`'s. */
const PAYMENT_STATE = `r.id, r.customer_id, case when e.id is null then r.status else e.status end as status,
    case when e.id is null then r.due_at else e.due_at end as due_at,
    case when e.id is null then r.paid_at else e.paid_at end as paid_at,
    case when e.id is null then r.occurred_at else e.occurred_at end as occurred_at`;

/** The earliest earlier state of payment `r` that ended after `p.as_of` (none: it stood then as it is). */
const PAYMENT_EARLIER_STATE = `left join lateral (select s.id, s.status, s.due_at, s.paid_at, s.occurred_at from payment_earlier_state s
    where s.payment_id = r.id and s.ended_at > (select as_of from p) order by s.ended_at, s.id limit 1) e on true`;

/** The batch's customer ids, from the `p` CTE every per-table statement starts with. */
const BATCH_IDS = `(select jsonb_array_elements_text(ids) from p)`;

/**
 * The payments as they stood at `p.as_of`, a derived table with the columns of `payment` that scoring
 * reads: each as its earliest earlier state that ended after then (a failed invoice paid later reads
 * failed before it was paid), else its row. With `scanDays`, only the batch's (`p.ids`) that may have
 * occurred within that many days before `p.as_of`, read by index ranges: each customer's payments
 * recorded in that range, and those changed after `p.as_of` (whose earlier state may lie in it).
 */
function paymentsAsOf(scanDays?: number): string {
  if (scanDays === undefined) return `(select ${PAYMENT_STATE} from payment r ${PAYMENT_EARLIER_STATE})`;
  const inRange = (alias: string) =>
    `${alias}.occurred_at > (select as_of from p) - interval '${scanDays} days' and ${alias}.occurred_at <= (select as_of from p)`;
  // One index range per customer (OFFSET 0 keeps the planner from flattening it): the planner cannot
  // estimate a range bounded by as_of, and otherwise scans every customer's payments in it, per batch.
  return `(select ${PAYMENT_STATE} from ${BATCH_IDS} as c(id)
    cross join lateral (select q.* from payment q where q.customer_id = c.id and ${inRange('q')} offset 0) r ${PAYMENT_EARLIER_STATE}
    union all
    select ${PAYMENT_STATE} from payment r ${PAYMENT_EARLIER_STATE}
    where r.id in (select s.payment_id from ${BATCH_IDS} as c(id) cross join lateral (
        select s.payment_id from payment_earlier_state s where s.customer_id = c.id and s.ended_at > (select as_of from p) offset 0) s)
      and not (${inRange('r')}))`;
}

/** A FAILED payment `x` in the window with no PAID payment at or after it by `p.as_of`. */
function failedSinceLastPaid(w: number): string {
  // A payment made at the instant of a failure (the retry that settled it, recorded with it) settles it.
  return `x.status = 'FAILED' and ${inWindow('x.occurred_at', w)} and not exists (
                select 1 from ${paymentsAsOf()} y where y.customer_id = x.customer_id and y.status = 'PAID'
                  and y.occurred_at >= x.occurred_at and y.occurred_at <= p.as_of)`;
}

/**
 * Invoices due in the window and at least `pastDueDays` before `p.as_of`, not refunded, none of their
 * payments paid by then; `andAlso`, a further SQL test on the invoice's row, asked after those.
 */
function unpaidInvoices(w: number, pastDueDays: number, andAlso = ''): string {
  // Invoices are told apart by due date; an invoice counts once, whichever of its attempts is read.
  // OFFSET 0 keeps the test per row, on the customer's index range: without it the planner
  // turns it into a hash of every paid payment in the table, built again for every batch.
  // A payment paid by then is itself the paid attempt the test looks for: it is told from the row,
  // before the lookup (most payments are paid).
  return `count(distinct x.due_at) filter (where x.due_at > p.as_of - interval '${w} days' and x.due_at <= p.as_of - interval '${pastDueDays} days'
                and x.status <> 'REFUNDED' and not (x.status = 'PAID' and coalesce(x.paid_at, x.occurred_at) <= p.as_of) and not exists (
                  select 1 from ${paymentsAsOf()} y where y.customer_id = x.customer_id and y.due_at = x.due_at and y.status = 'PAID'
                    and coalesce(y.paid_at, y.occurred_at) <= p.as_of offset 0)${andAlso})`;
}

/**
 * The test of `unpaid_later_than_usual` on an unpaid invoice `x` already past UNPAID_GRACE_DAYS: due
 * at least as long ago as the account's longest lateness over LATENESS_HISTORY_DAYS (each invoice paid by
 * `p.as_of` from its due date to its first payment), capped at LATE_FOR_ANYONE_DAYS; and, for an
 * invoice none of whose payments recorded by `p.as_of` FAILED (one awaiting payment on its terms),
 * AWAITING_PAYMENT_GRACE_DAYS past due. Asked last, of the few invoices still unpaid two weeks past
 * due. Without a paid invoice the habit is none: LEAST skips a null, which would otherwise give every
 * such account the whole month.
 */
const LATER_THAN_USUAL = `
                and x.due_at <= p.as_of - (select least(interval '${LATE_FOR_ANYONE_DAYS} days', coalesce(max(l.late), interval '0')) from (
                  select min(coalesce(y.paid_at, y.occurred_at)) - y.due_at as late from ${paymentsAsOf()} y
                  where y.customer_id = x.customer_id and y.status = 'PAID' and coalesce(y.paid_at, y.occurred_at) <= p.as_of
                    and y.due_at > p.as_of - interval '${LATENESS_HISTORY_DAYS} days' and y.due_at <= p.as_of
                  group by y.due_at offset 0) l)
                and (x.due_at <= p.as_of - interval '${AWAITING_PAYMENT_GRACE_DAYS} days' or x.status = 'FAILED' or exists (
                  select 1 from ${paymentsAsOf()} f where f.customer_id = x.customer_id and f.due_at = x.due_at and f.status = 'FAILED'
                    and f.occurred_at <= p.as_of offset 0))`;

function paymentExpression(request: MetricRequest): string {
  const w = checkedDays(request.windowDays);
  switch (request.metric) {
    case 'payment_failure_streak':
      return `count(*) filter (where ${failedSinceLastPaid(w)})`;
    case 'failed_invoice_streak':
      // An invoice is its due date; a payment without one is an invoice of its own.
      return `count(distinct coalesce('due ' || x.due_at::text, 'payment ' || x.id::text)) filter (where ${failedSinceLastPaid(w)})`;
    case 'unpaid_past_due':
      return unpaidInvoices(w, 1);
    case 'unpaid_past_grace':
      return unpaidInvoices(w, UNPAID_GRACE_DAYS);
    case 'unpaid_later_than_usual':
      return unpaidInvoices(w, UNPAID_GRACE_DAYS, LATER_THAN_USUAL);
    case 'payment_success_rate':
      return `case when count(*) filter (where ${inWindow('x.occurred_at', w)}) = 0 then null
              else 1 - (count(*) filter (where x.status = 'FAILED' and ${inWindow('x.occurred_at', w)}))::float8
                       / count(*) filter (where ${inWindow('x.occurred_at', w)}) end`;
    case 'late_payments':
      return `count(*) filter (where x.status = 'FAILED' and ${inWindow('x.occurred_at', w)})`;
    default:
      throw new Error(`not a payment metric: ${request.metric}`);
  }
}

/**
 * The days a ticket rate is read over, as SQL in the support aggregate: those since the customer
 * became known (the UTC day of its first event or ticket up to `p.as_of`, whichever came first), at
 * most the baseline, at least the window. Counted over the whole baseline, a young account's steady
 * tickets read as a surge, the days before it began as days without any.
 */
function ticketBaselineDays(w: number, b: number): string {
  const firstTicketDay = `(min(x.opened_at) filter (where x.opened_at <= p.as_of) at time zone 'UTC')::date`;
  const firstEventDay = `(select d.day from engagement_day d where d.customer_id = x.customer_id and d.first_at <= p.as_of order by d.day limit 1)`;
  const known = `extract(epoch from (p.as_of - (least(${firstTicketDay}, ${firstEventDay})::timestamp at time zone 'UTC')))::float8 / 86400`;
  return `least(${b}, greatest(${w}, coalesce(${known}, ${b})))`;
}

function supportExpression(request: MetricRequest): string {
  const w = checkedDays(request.windowDays);
  switch (request.metric) {
    case 'csat_mean':
      return `avg(${ticketAtAsOf('csat_rating')}) filter (where ${ticketAtAsOf('csat_rating')} is not null and ${inWindow('x.opened_at', w)})::float8`;
    case 'open_tickets':
      return `count(*) filter (where ${TICKET_OPEN_AT_AS_OF})`;
    case 'urgent_open_tickets':
      return `count(*) filter (where ${ticketAtAsOf('severity')} in ('HIGH', 'URGENT') and ${TICKET_OPEN_AT_AS_OF})`;
    case 'urgent_tickets_open_throughout':
      return `count(*) filter (where ${ticketAtAsOf('severity')} in ('HIGH', 'URGENT') and ${ticketOpenThroughout(w)})`;
    case 'rated_tickets':
      return `count(*) filter (where ${ticketAtAsOf('csat_rating')} is not null and ${inWindow('x.opened_at', w)})`;
    case 'ticket_volume_trend': {
      const b = checkedDays(request.baselineDays as number);
      return `greatest(0, count(*) filter (where ${inWindow('x.opened_at', w)})
                - (count(*) filter (where ${inWindow('x.opened_at', b)}))::float8 * ${w} / ${ticketBaselineDays(w, b)})`;
    }
    case 'ticket_count':
      return `count(*) filter (where ${inWindow('x.opened_at', w)})`;
    default:
      throw new Error(`not a support metric: ${request.metric}`);
  }
}

function npsExpression(request: MetricRequest): string {
  const w = checkedDays(request.windowDays);
  if (request.metric === 'nps_weighted' || request.metric === 'nps_mean_score') {
    // In float8: extract() answers numeric, and numeric power() is arbitrary-precision arithmetic, slow per row.
    const weight = `power(0.5::float8, extract(epoch from (p.as_of - x.responded_at))::float8 / 86400.0 / ${NPS_HALF_LIFE_DAYS})`;
    const value =
      request.metric === 'nps_weighted'
        ? `case when x.score >= ${PROMOTER_MIN_SCORE} then 100 when x.score <= ${DETRACTOR_MAX_SCORE} then -100 else 0 end`
        : 'x.score';
    // Rounded once per customer: in float8 a lone detractor's w·(−100)/w can come out as −99.999…, not −100.
    return `round((sum(${weight} * ${value}) filter (where ${inWindow('x.responded_at', w)})
            / nullif(sum(${weight}) filter (where ${inWindow('x.responded_at', w)}), 0))::numeric, 9)::float8`;
  }
  if (request.metric === 'nps_angry_answers') return `count(*) filter (where x.score <= 4 and ${inWindow('x.responded_at', w)})`;
  const n = `count(*) filter (where ${inWindow('x.responded_at', w)})`;
  return `case when ${n} = 0 then null else round(100.0 * (count(*) filter (where x.score >= ${PROMOTER_MIN_SCORE} and ${inWindow('x.responded_at', w)})
          - count(*) filter (where x.score <= ${DETRACTOR_MAX_SCORE} and ${inWindow('x.responded_at', w)})) / ${n}) end`;
}

/** Where a per-table aggregate reads its rows `x` from. */
interface AggregateSource {
  /** A table, or a derived table in parentheses. */
  table: string;
  /** Only the rows whose `column` is within `days` before asOf, up to asOf. */
  range?: { column: string; days: number };
  /** The source holds the batch's rows only (it read them by customer): no filter by customer again. */
  batchOnly?: boolean;
  /** Joined to each row `x` (a ticket's earlier state). */
  join?: string;
}

async function aggregate(
  db: Db,
  requests: MetricRequest[],
  expression: (request: MetricRequest) => string,
  source: AggregateSource,
  ids: string[],
  asOf: Date,
): Promise<Array<Record<string, unknown>>> {
  if (requests.length === 0) return [];
  const columns = requests.map((r) => `${expression(r)} as "${r.key}"`);
  const conditions = source.batchOnly ? [] : [`x.customer_id in ${BATCH_IDS}`];
  // The scan range bounds the index range scan on (customer_id, time).
  const { range } = source;
  if (range) conditions.push(`x.${range.column} > p.as_of - interval '${range.days} days' and x.${range.column} <= p.as_of`);
  return query(
    db,
    `with p as (select ?::timestamptz as as_of, ?::jsonb as ids)
     select x.customer_id as "customerId", ${columns.join(', ')}
     from ${source.table} x cross join p ${source.join ?? ''}
     ${conditions.length > 0 ? `where ${conditions.join(' and ')}` : ''}
     group by x.customer_id, p.as_of`,
    [asOf.toISOString(), json(ids)],
  );
}

/**
 * Computes every requested metric for `ids` as of `asOf`. Counts are 0 (never null) for customers
 * with no rows; ratios, means and NPS are null when there is nothing to compute them from.
 */
/**
 * A metric as stored and compared, the same however PostgreSQL summed it: a float8 sum (of
 * logarithms, of recency weights) depends in its last bits on the order the rows were read, so the
 * same instant scored twice gave a red flag's raw value as 1.0107100881157531 and …527. Kept to
 * twelve decimals, far below anything a threshold or a score can tell.
 */
export function reproducible(value: number): number {
  return Number.isInteger(value) ? value : Math.round(value * 1e12) / 1e12;
}

/**
 * `contraction` per window: how far ARR or seats at asOf fell below the highest value in effect
 * during the window (the last change before it started, and every change within it). A plan
 * replaced by another dated the same instant was never in effect: a correction of the plan a
 * customer arrived with, dated its sign-up, is no downsell. Nor is a window reaching back before
 * the sign-up: it starts there, with the plan then in effect, so a sign-up date moved later reads
 * the plans before it as a customer created on that date with that plan would have them.
 */
async function aggregateContraction(db: Db, requests: MetricRequest[], ids: string[], asOf: Date): Promise<Array<Record<string, unknown>>> {
  if (requests.length === 0) return [];
  const highest = requests.map((r, i) => {
    // The window starts at the sign-up at the earliest (GREATEST skips a null one).
    const start = `greatest(p.as_of - interval '${checkedDays(r.windowDays)} days', cu.signed_up_at)`;
    return `left join lateral (select max(h.arr_cents) as arr, max(h.seats) as seats from (
        (select arr_cents, seats from customer_plan_change where customer_id = c.id and changed_at <= ${start}
         order by changed_at desc, id desc limit 1)
        union all
        (select arr_cents, seats from customer_plan_change pc where customer_id = c.id and changed_at > ${start} and changed_at <= p.as_of
           and not exists (select 1 from customer_plan_change r where r.customer_id = c.id and r.changed_at = pc.changed_at and r.id > pc.id))
      ) h) high${i} on true`;
  });
  const outputs = requests.map(
    (r, i) => `case when now.arr_cents is null then null else greatest(0, 1 - least(
        case when high${i}.arr > 0 then now.arr_cents::float8 / high${i}.arr else 1 end,
        case when now.seats is not null and high${i}.seats > 0 then now.seats::float8 / high${i}.seats else 1 end)) end as "${r.key}"`,
  );
  return query(
    db,
    `with p as (select ?::timestamptz as as_of)
     select c.id as "customerId", ${outputs.join(', ')}
     from jsonb_array_elements_text(?::jsonb) as c(id) cross join p
     join customer cu on cu.id = c.id
     left join lateral (select arr_cents, seats from customer_plan_change where customer_id = c.id and changed_at <= p.as_of
                        order by changed_at desc, id desc limit 1) now on true
     ${highest.join('\n     ')}`,
    [asOf.toISOString(), json(ids)],
  );
}

export async function gatherMetrics(
  db: Db,
  ids: string[],
  asOf: Date,
  requests: MetricRequest[],
  /** Engagement is scanned at least this far back for `lastActivityAt` (the churn window). */
  activityLookbackDays = 1,
): Promise<Map<string, GatheredCustomer>> {
  const engagement = requests.filter((r) => USAGE_METRICS.has(r.metric));
  const payments = requests.filter((r) => PAYMENT_METRICS.has(r.metric));
  const support = requests.filter((r) => SUPPORT_METRICS.has(r.metric));
  const nps = requests.filter((r) => NPS_METRICS.has(r.metric));
  const contraction = requests.filter((r) => r.metric === 'contraction');
  const scan = (list: MetricRequest[]) => Math.max(1, ...list.map((r) => checkedDays(r.windowDays)));

  // Sequential: inside the scoring transaction they share one connection anyway.
  // Windows are validated to at most ten years; the churn window's extra day must not push past that.
  // The churn window may be a fraction of a day (a model's lifecycle setting), the scan is whole days.
  const lookback = Math.min(3650, Math.max(1, Math.ceil(activityLookbackDays), ...engagement.map(engagementExtentDays)));
  const engagementRows = await aggregateEngagement(db, engagement, lookback, ids, asOf);
  const paymentDays = scan(payments);
  const paymentSource = { table: paymentsAsOf(paymentDays), range: { column: 'occurred_at', days: paymentDays }, batchOnly: true };
  const paymentRows = await aggregate(db, payments, paymentExpression, paymentSource, ids, asOf);
  // open_tickets is a state, not a window: support rows are not range-bounded.
  const supportSource = { table: 'support_ticket', join: TICKET_EARLIER_STATE };
  const supportRows = await aggregate(db, support, supportExpression, supportSource, ids, asOf);
  const npsSource = { table: 'nps_response', range: { column: 'responded_at', days: scan(nps) } };
  const npsRows = await aggregate(db, nps, npsExpression, npsSource, ids, asOf);
  const contractionRows = await aggregateContraction(db, contraction, ids, asOf);

  const result = new Map<string, GatheredCustomer>();
  const zeroCounts: MetricValues = {};
  for (const r of requests) {
    zeroCounts[r.key] = COUNT_METRICS.has(r.metric) ? 0 : null;
  }
  for (const id of ids) result.set(id, { metrics: { ...zeroCounts }, lastActivityAt: null });
  // Each statement's rows hold the columns of its own requests only.
  const answered: Array<[Array<Record<string, unknown>>, MetricRequest[]]> = [
    [engagementRows, engagement],
    [paymentRows, payments],
    [supportRows, support],
    [npsRows, nps],
    [contractionRows, contraction],
  ];
  for (const [rows, asked] of answered) {
    for (const row of rows) {
      const entry = result.get(row.customerId as string);
      if (!entry) continue;
      for (const { key } of asked) {
        if (key in row) entry.metrics[key] = row[key] === null ? null : reproducible(Number(row[key]));
      }
      if ('lastActivityAt' in row && row.lastActivityAt) entry.lastActivityAt = new Date(row.lastActivityAt as string);
    }
  }
  return result;
}
