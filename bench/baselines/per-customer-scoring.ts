// The baseline of the scoring benchmark: seed 003's approach, one query per signal per customer,
// customer after customer, then one upsert per customer. It computes the same metrics as the
// service (same windows, same as-of bounds) and scores them with the same pure model, so the only
// difference with `refreshAllHealthScores` is the shape of the database work.
import { Client } from 'pg';
import { sessionUrl } from '../../src/infra/postgres-session';
import { CLASSIC_SCORING_MODEL, computeScore, metricRequests, MetricRequest, tierFor, trendOf } from '../../src/scoring/model';

const window = (column: string, days: number, offsetDays = 0) =>
  `${column} > $2::timestamptz - interval '${days + offsetDays} days' and ${column} <= $2::timestamptz - interval '${offsetDays} days'`;

/** One statement per metric for one customer ($1) as of $2, like the seed's `calculator`s. */
export function metricQuery(request: MetricRequest): string {
  const w = request.windowDays;
  switch (request.metric) {
    case 'active_days':
      return `select count(distinct (occurred_at at time zone 'UTC')::date)::float8 as v from engagement_event where customer_id = $1 and ${window('occurred_at', w)}`;
    case 'distinct_features':
      return `select count(distinct feature)::float8 as v from engagement_event where customer_id = $1 and ${window('occurred_at', w)}`;
    case 'days_since_last_activity':
      return `select extract(epoch from ($2::timestamptz - max(occurred_at))) / 86400.0 as v from engagement_event where customer_id = $1 and ${window('occurred_at', w)}`;
    case 'usage_trend':
      return `select case when r = 0 and p = 0 then null when p = 0 then 2.0 else least(2.0, r::float8 / p) end as v
              from (select count(*) filter (where ${window('occurred_at', w)}) as r, count(*) filter (where ${window('occurred_at', w, w)}) as p
                    from engagement_event where customer_id = $1 and ${window('occurred_at', 2 * w)}) x`;
    case 'users_added':
      return `select count(*)::float8 as v from engagement_event where customer_id = $1 and event_type = 'user_added' and ${window('occurred_at', w)}`;
    case 'payment_success_rate':
      return `select case when count(*) = 0 then null else 1 - (count(*) filter (where status = 'FAILED'))::float8 / count(*) end as v
              from payment where customer_id = $1 and ${window('occurred_at', w)}`;
    case 'late_payments':
      return `select count(*)::float8 as v from payment where customer_id = $1 and status = 'FAILED' and ${window('occurred_at', w)}`;
    case 'csat_mean':
      return `select avg(csat_rating)::float8 as v from support_ticket where customer_id = $1 and csat_rating is not null and ${window('opened_at', w)}`;
    case 'open_tickets':
      return `select count(*)::float8 as v from support_ticket where customer_id = $1 and status in ('OPEN', 'PENDING')
              and opened_at <= $2::timestamptz and (resolved_at is null or resolved_at > $2::timestamptz)`;
    case 'ticket_count':
      return `select count(*)::float8 as v from support_ticket where customer_id = $1 and ${window('opened_at', w)}`;
    case 'nps':
      return `select case when count(*) = 0 then null else round(100.0 * (count(*) filter (where score >= 9) - count(*) filter (where score <= 6)) / count(*)) end::float8 as v
              from nps_response where customer_id = $1 and ${window('responded_at', w)}`;
    default:
      throw new Error(`the per-customer baseline has no query for ${request.metric}`);
  }
}

/** Scores `customerIds` one by one; returns the number scored. Writes only to its own table. */
export async function scorePerCustomer(databaseUrl: string, customerIds: readonly string[], asOf: Date): Promise<number> {
  const client = new Client({ connectionString: sessionUrl(databaseUrl) });
  await client.connect();
  try {
    await client.query(`create table if not exists bench_baseline_score (customer_id text primary key, score int not null, tier text not null,
                          trend text not null, signals jsonb not null, calculated_at timestamptz not null)`);
    // Seed 003's signals are the first default model's (fixed targets): the baseline keeps them. The
    // scoring workload times the set-based engine on that model too, so the ratio compares like with like.
    const model = CLASSIC_SCORING_MODEL;
    const requests = metricRequests(model);
    const asOfIso = asOf.toISOString();
    for (const id of customerIds) {
      const metrics: Record<string, number | null> = {};
      for (const request of requests) {
        const { rows } = await client.query<{ v: number | string | null }>(metricQuery(request), [id, asOfIso]);
        metrics[request.key] = rows[0]?.v == null ? null : Number(rows[0].v);
      }
      const { rows: previous } = await client.query<{ score: number | null; tier: string | null }>(
        `select score, tier from health_score where customer_id = $1 and as_of < $2 order by as_of desc limit 1`,
        [id, asOfIso],
      );
      const result = computeScore(model, metrics);
      const tier = tierFor(result.score, model.tiers, previous[0]?.tier ?? null, model.hysteresis);
      const trend = trendOf(result.score, previous[0]?.score ?? null, model.trend.threshold);
      await client.query(
        `insert into bench_baseline_score (customer_id, score, tier, trend, signals, calculated_at) values ($1, $2, $3, $4, $5, now())
         on conflict (customer_id) do update set score = $2, tier = $3, trend = $4, signals = $5, calculated_at = now()`,
        [id, result.score, tier.key, trend, JSON.stringify(result.signals)],
      );
    }
    return customerIds.length;
  } finally {
    await client.end();
  }
}
