// The raw per-customer aggregates a scoring model asks for, computed set-based: one statement per
// signal table for a whole batch of customers, each metric a FILTERed aggregate over its window
// ending at `asOf` (start exclusive, end inclusive). Nothing after `asOf` is seen.
import { Db, json, query } from '../infra/sql';
import type { MetricRequest, MetricValues } from './model';

export interface GatheredCustomer {
  metrics: MetricValues;
  /** Last engagement event at or before asOf within the scanned range; null when none. */
  lastActivityAt: Date | null;
}

/** `(asOf − N days, asOf]` as SQL over column `column`; `p.as_of` comes from the params CTE. */
function inWindow(column: string, days: number, offsetDays = 0): string {
  const end = offsetDays === 0 ? 'p.as_of' : `p.as_of - interval '${offsetDays} days'`;
  return `${column} > p.as_of - interval '${days + offsetDays} days' and ${column} <= ${end}`;
}

function days(value: number): number {
  if (!Number.isInteger(value) || value <= 0 || value > 3650) throw new Error(`window of ${value} days is not a whole number of days in 1…3650`);
  return value;
}

const ENGAGEMENT_METRICS = new Set(['active_days', 'distinct_features', 'days_since_last_activity', 'usage_trend', 'users_added']);
const PAYMENT_METRICS = new Set(['payment_success_rate', 'late_payments']);
const SUPPORT_METRICS = new Set(['csat_mean', 'open_tickets', 'ticket_count']);

function engagementExpression(request: MetricRequest): string {
  const w = days(request.windowDays);
  switch (request.metric) {
    case 'active_days':
      return `count(distinct (x.occurred_at at time zone 'UTC')::date) filter (where ${inWindow('x.occurred_at', w)})`;
    case 'distinct_features':
      return `count(distinct x.feature) filter (where ${inWindow('x.occurred_at', w)})`;
    case 'days_since_last_activity':
      return `extract(epoch from (p.as_of - max(x.occurred_at) filter (where ${inWindow('x.occurred_at', w)}))) / 86400.0`;
    case 'usage_trend': {
      const recent = `count(*) filter (where ${inWindow('x.occurred_at', w)})`;
      const previous = `count(*) filter (where ${inWindow('x.occurred_at', w, w)})`;
      return `case when ${recent} = 0 and ${previous} = 0 then null when ${previous} = 0 then 2.0 else least(2.0, ${recent}::float8 / ${previous}) end`;
    }
    case 'users_added':
      return `count(*) filter (where x.event_type = 'user_added' and ${inWindow('x.occurred_at', w)})`;
    default:
      throw new Error(`not an engagement metric: ${request.metric}`);
  }
}

function paymentExpression(request: MetricRequest): string {
  const w = days(request.windowDays);
  switch (request.metric) {
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

function supportExpression(request: MetricRequest): string {
  const w = days(request.windowDays);
  switch (request.metric) {
    case 'csat_mean':
      return `avg(x.csat_rating) filter (where x.csat_rating is not null and ${inWindow('x.opened_at', w)})::float8`;
    case 'open_tickets':
      return `count(*) filter (where x.status in ('OPEN', 'PENDING') and x.opened_at <= p.as_of and (x.resolved_at is null or x.resolved_at > p.as_of))`;
    case 'ticket_count':
      return `count(*) filter (where ${inWindow('x.opened_at', w)})`;
    default:
      throw new Error(`not a support metric: ${request.metric}`);
  }
}

function npsExpression(request: MetricRequest): string {
  const w = days(request.windowDays);
  const n = `count(*) filter (where ${inWindow('x.responded_at', w)})`;
  return `case when ${n} = 0 then null else round(100.0 * (count(*) filter (where x.score >= 9 and ${inWindow('x.responded_at', w)})
          - count(*) filter (where x.score <= 6 and ${inWindow('x.responded_at', w)})) / ${n}) end`;
}

async function aggregate(
  db: Db,
  requests: MetricRequest[],
  expression: (request: MetricRequest) => string,
  table: string,
  timeColumn: string | null,
  scanDays: number,
  ids: string[],
  asOf: Date,
  extra: string[] = [],
): Promise<Array<Record<string, unknown>>> {
  if (requests.length === 0 && extra.length === 0) return [];
  const columns = [...requests.map((r) => `${expression(r)} as "${r.key}"`), ...extra];
  // The scan range bounds the index range scan on (customer_id, time).
  const range = timeColumn ? `and x.${timeColumn} > p.as_of - interval '${scanDays} days' and x.${timeColumn} <= p.as_of` : '';
  return query(
    db,
    `with p as (select ?::timestamptz as as_of)
     select x.customer_id as "customerId", ${columns.join(', ')}
     from ${table} x cross join p
     where x.customer_id in (select jsonb_array_elements_text(?::jsonb)) ${range}
     group by x.customer_id, p.as_of`,
    [asOf.toISOString(), json(ids)],
  );
}

/**
 * Computes every requested metric for `ids` as of `asOf`. Counts are 0 (never null) for customers
 * with no rows; ratios, means and NPS are null when there is nothing to compute them from.
 */
export async function gatherMetrics(
  db: Db,
  ids: string[],
  asOf: Date,
  requests: MetricRequest[],
  /** Engagement is scanned at least this far back for `lastActivityAt` (the churn window). */
  activityLookbackDays = 1,
): Promise<Map<string, GatheredCustomer>> {
  const engagement = requests.filter((r) => ENGAGEMENT_METRICS.has(r.metric));
  const payments = requests.filter((r) => PAYMENT_METRICS.has(r.metric));
  const support = requests.filter((r) => SUPPORT_METRICS.has(r.metric));
  const nps = requests.filter((r) => r.metric === 'nps');
  const scan = (list: MetricRequest[], factor = 1) => Math.max(1, ...list.map((r) => r.windowDays * (r.metric === 'usage_trend' ? 2 : factor)));

  // Sequential: inside the scoring transaction all four share one connection anyway.
  const engagementRows = await aggregate(db, engagement, engagementExpression, 'engagement_event', 'occurred_at', Math.max(scan(engagement), activityLookbackDays), ids, asOf, [
    'max(x.occurred_at) as "lastActivityAt"',
  ]);
  const paymentRows = await aggregate(db, payments, paymentExpression, 'payment', 'occurred_at', scan(payments), ids, asOf);
  // open_tickets is a state, not a window: support rows are not range-bounded.
  const supportRows = await aggregate(db, support, supportExpression, 'support_ticket', null, 0, ids, asOf);
  const npsRows = await aggregate(db, nps, npsExpression, 'nps_response', 'responded_at', scan(nps), ids, asOf);

  const result = new Map<string, GatheredCustomer>();
  const zeroCounts: MetricValues = {};
  for (const r of requests) {
    if (['active_days', 'distinct_features', 'users_added', 'late_payments', 'open_tickets', 'ticket_count'].includes(r.metric)) zeroCounts[r.key] = 0;
    else zeroCounts[r.key] = null;
  }
  for (const id of ids) result.set(id, { metrics: { ...zeroCounts }, lastActivityAt: null });
  for (const rows of [engagementRows, paymentRows, supportRows, npsRows]) {
    for (const row of rows) {
      const entry = result.get(row.customerId as string);
      if (!entry) continue;
      for (const r of requests) {
        if (r.key in row) entry.metrics[r.key] = row[r.key] === null ? null : Number(row[r.key]);
      }
      if ('lastActivityAt' in row && row.lastActivityAt) entry.lastActivityAt = new Date(row.lastActivityAt as string);
    }
  }
  return result;
}
