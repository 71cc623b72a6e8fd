// The raw per-customer aggregates a scoring model asks for, computed set-based: one statement per
// signal table for a whole batch of customers, each metric a FILTERed aggregate over its window
// ending at `asOf` (start exclusive, end inclusive). Nothing after `asOf` is seen.
// Engagement is the big table (≈ 200 events per customer per 90 days), so it is read through its
// daily rollup (`engagement_day`): every UTC day a window boundary falls in is read from the raw
// events, every other day lies wholly inside or outside each window and comes from the rollup.
// The result is exactly what aggregating the raw events would give, for any asOf.
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
const DAY_MS = 86_400_000;

/** `(end − days − offset, end − offset]` as SQL over `column`, with the bounds as literals (ISO text we produced). */
function inFixedWindow(column: string, asOf: Date, windowDays: number, offsetDays = 0): string {
  const end = asOf.getTime() - offsetDays * DAY_MS;
  const start = end - windowDays * DAY_MS;
  return `${column} > '${new Date(start).toISOString()}'::timestamptz and ${column} <= '${new Date(end).toISOString()}'::timestamptz`;
}

function utcDate(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Engagement metrics and lastActivityAt for a batch.
 *
 * Counts and sums (active days, features, usage, users added) are taken over rows `x`: the rollup
 * days of their longest window (`x.at` any time of that day, `x.events` its count) and the raw
 * events of the boundary days (UTC days one of those windows starts or ends in). Either kind lies
 * wholly inside or wholly outside every window, so a window test on `x.at` is exact. Plain sums
 * run in one hash aggregate; the distinct counts (active days among raw events, features) are
 * hashed DISTINCTs over the few rows that need them.
 *
 * The last activity (and so `days_since_last_activity` for any window up to the scan range) is
 * the latest of the boundary day's raw events up to asOf and the `last_at` of the customer's latest
 * rollup day before asOf's day: one index probe, however long the lookback.
 */
async function aggregateEngagement(db: Db, requests: MetricRequest[], scanDays: number, ids: string[], asOf: Date): Promise<Array<Record<string, unknown>>> {
  const end = asOf.getTime();
  const asOfIso = asOf.toISOString();
  const scanStart = new Date(end - days(scanDays) * DAY_MS).toISOString();
  const summed = requests.filter((r) => r.metric !== 'days_since_last_activity');
  // The range the counts and sums need, and the instants their windows start or end at.
  const sumDays = Math.max(1, ...summed.map((r) => days(r.windowDays) * (r.metric === 'usage_trend' ? 2 : 1)));
  const boundaries = new Set<number>([end, end - sumDays * DAY_MS]);
  for (const r of summed) {
    boundaries.add(end - r.windowDays * DAY_MS);
    if (r.metric === 'usage_trend') boundaries.add(end - 2 * r.windowDays * DAY_MS);
  }
  const boundaryDays = [...new Set([...boundaries].map(utcDate))].sort();
  const win = (r: MetricRequest, offsetDays = 0) => inFixedWindow('x.at', asOf, days(r.windowDays), offsetDays);

  const totals: string[] = ['max(x.last_at) as last_at'];
  const extraCtes: string[] = [];
  const joins: string[] = [];
  const outputs: string[] = [];
  requests.forEach((r, i) => {
    const key = `"${r.key}"`;
    switch (r.metric) {
      case 'active_days':
        // Rollup rows are one per day; raw events of a boundary day are counted once per day.
        totals.push(`count(*) filter (where not x.raw and ${win(r)}) as ${key}`);
        extraCtes.push(`m${i} as (select x.customer_id, count(distinct x.day) as n from x where x.raw and ${win(r)} group by 1)`);
        joins.push(`left join m${i} on m${i}.customer_id = c.id`);
        outputs.push(`coalesce(t.${key}, 0) + coalesce(m${i}.n, 0) as ${key}`);
        break;
      case 'distinct_features':
        extraCtes.push(`m${i} as (select customer_id, count(*) as n from (
             select distinct x.customer_id, f.feature from x cross join lateral unnest(x.features) as f(feature) where ${win(r)}
           ) features group by 1)`);
        joins.push(`left join m${i} on m${i}.customer_id = c.id`);
        outputs.push(`coalesce(m${i}.n, 0) as ${key}`);
        break;
      case 'days_since_last_activity': {
        const since = new Date(end - days(r.windowDays) * DAY_MS).toISOString();
        outputs.push(`case when a.last_at > '${since}'::timestamptz then extract(epoch from ('${asOfIso}'::timestamptz - a.last_at)) / 86400.0 end as ${key}`);
        break;
      }
      case 'usage_trend': {
        const recent = `coalesce(sum(x.events) filter (where ${win(r)}), 0)`;
        const previous = `coalesce(sum(x.events) filter (where ${win(r, r.windowDays)}), 0)`;
        totals.push(`case when ${recent} = 0 and ${previous} = 0 then null when ${previous} = 0 then 2.0 else least(2.0, ${recent}::float8 / ${previous}) end as ${key}`);
        outputs.push(`t.${key}`);
        break;
      }
      case 'users_added':
        totals.push(`coalesce(sum(x.users_added) filter (where ${win(r)}), 0) as ${key}`);
        outputs.push(`coalesce(t.${key}, 0) as ${key}`);
        break;
      default:
        throw new Error(`not an engagement metric: ${r.metric}`);
    }
  });
  const sumStart = new Date(end - sumDays * DAY_MS).toISOString();
  return query(
    db,
    `with c as materialized (select jsonb_array_elements_text(?::jsonb) as id),
     boundary as (select d::date as day, d::date::timestamp at time zone 'UTC' as day_start from jsonb_array_elements_text(?::jsonb) as d),
     x as materialized (
       select d.customer_id, false as raw, d.first_at as at, d.day, d.event_count as events, d.user_added_count as users_added, d.last_at, d.features
       from engagement_day d
       where d.customer_id in (select id from c) and d.day > ?::date and d.day < ?::date and d.day not in (select day from boundary)
       union all
       select e.customer_id, true, e.occurred_at, (e.occurred_at at time zone 'UTC')::date, 1, (e.event_type = 'user_added')::int, e.occurred_at,
              case when e.feature is null then '{}'::text[] else array[e.feature] end
       from c cross join boundary
       -- One index range scan per (customer, boundary day); OFFSET 0 keeps the planner from flattening it.
       join lateral (
         select customer_id, occurred_at, event_type, feature from engagement_event
         where customer_id = c.id and occurred_at >= boundary.day_start and occurred_at < boundary.day_start + interval '1 day'
           and occurred_at > '${sumStart}'::timestamptz and occurred_at <= '${asOfIso}'::timestamptz
         offset 0
       ) e on true
     ), t as (
       select x.customer_id, ${totals.join(', ')} from x group by x.customer_id
     )${extraCtes.map((cte) => `, ${cte}`).join('')}
     select c.id as "customerId", a.last_at as "lastActivityAt"${outputs.map((o) => `, ${o}`).join('')}
     from c
     left join t on t.customer_id = c.id
     left join lateral (
       select d.last_at from engagement_day d
       where d.customer_id = c.id and d.day >= ?::date and d.day < ?::date
       order by d.day desc limit 1
     ) latest_day on true
     cross join lateral (
       select nullif(greatest(coalesce(t.last_at, '-infinity'), case when latest_day.last_at > '${scanStart}'::timestamptz then latest_day.last_at end), '-infinity') as last_at
     ) a
     ${joins.join(' ')}`,
    [json(ids), json(boundaryDays), utcDate(end - sumDays * DAY_MS), utcDate(end), utcDate(end - scanDays * DAY_MS), utcDate(end)],
  );
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
  const engagementRows = await aggregateEngagement(db, engagement, Math.max(scan(engagement), activityLookbackDays), ids, asOf);
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
