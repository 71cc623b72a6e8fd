// Each filter of a list is read through an index that starts with it: the statements a request sends
// are planned (EXPLAIN, after ANALYZE) on tables filled far beyond one page, and the plan must name
// the filter's index. Without one, PostgreSQL reads the rows of every other value of the filter (or
// of every other customer) to find a page, and the cost grows with the table, not with the page.
import { AUDIT_ACTIONS } from '../../src/auth/audit-log.service';
import { sql } from '../helpers/database';
import { sentDuring } from '../helpers/statements';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;

/** The plans of the statements `query` sends that read `table`, as text. */
async function plansOf(query: string, table: string): Promise<string[]> {
  const sent = await sentDuring(server.app.orm, async () => {
    const result = await server.request(query);
    expect(result.errors).toBeUndefined();
  });
  const reading = sent.filter((statement) => new RegExp(`\\b${table}\\b`).test(statement.sql) && /^\s*(with|select)/i.test(statement.sql));
  expect(reading.length).toBeGreaterThan(0);
  const plans: string[] = [];
  for (const statement of reading) {
    const explained = await sql<{ 'QUERY PLAN': string }>(server.database, `explain ${statement.sql}`, [...statement.bindings]);
    plans.push(explained.map((row) => row['QUERY PLAN']).join('\n'));
  }
  return plans;
}

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

beforeAll(async () => {
  server = await startTestServer({ label: 'filter_indexes', env: { RESCORE_SWEEP_MS: '3600000' } });
  const customers = Array.from({ length: 40 }, (_, i) => `cust_ix_${i}`);
  for (const id of customers) {
    const result = await server.request(
      `mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(400)}" }) { id } }`,
    );
    expect(result.errors).toBeUndefined();
  }
  const db = server.database;
  // Rows spread over 40 customers, many values of each filtered column, and a year of time.
  await sql(
    db,
    `insert into engagement_event (customer_id, event_type, occurred_at)
     select 'cust_ix_' || (i % 40), 'type_' || (i / 40 % 12), now() - (i % 365) * interval '1 day' - i * interval '1 second'
     from generate_series(1, 60000) i`,
  );
  await sql(
    db,
    `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, status, created_at)
     select 'cust_ix_' || (i % 40), (array['critical', 'at_risk', 'monitor', 'silence', 'expansion'])[i % 5 + 1], 'csm_alert', case when i % 2 = 0 then 'TEAM' else 'CUSTOMER' end, 'email',
            'TIER_WORSENED', 'LOGGED', now() - (i % 365) * interval '1 day' - i * interval '1 second'
     from generate_series(1, 30000) i`,
  );
  await sql(
    db,
    `insert into audit_log (actor, action, at)
     select 'key_' || (i % 25), (array[${AUDIT_ACTIONS.map((action) => `'${action}'`).join(', ')}])[i / 25 % ${AUDIT_ACTIONS.length} + 1],
            now() - i * interval '1 minute'
     from generate_series(1, 30000) i`,
  );
  await sql(
    db,
    `insert into destination (kind, name, url) values ('WEBHOOK', 'hook a', 'https://a.example'), ('WEBHOOK', 'hook b', 'https://b.example')`,
  );
  await sql(
    db,
    `insert into delivery (action_id, destination_id, customer_id, audience, status, created_at)
     select o.id, d.id, o.customer_id, o.audience, 'DELIVERED', o.created_at from outreach_action o cross join destination d`,
  );
  await sql(
    db,
    `insert into support_ticket (customer_id, external_id, severity, status, opened_at)
     select 'cust_ix_' || (i % 40), 'ix-' || i, (array['LOW', 'NORMAL', 'NORMAL', 'NORMAL', 'LOW', 'NORMAL', 'LOW', 'URGENT'])[i % 8 + 1], 'SOLVED',
            now() - (i % 400) * interval '1 day' - i * interval '1 second'
     from generate_series(1, 20000) i`,
  );
  await sql(
    db,
    `insert into nps_response (customer_id, score, responded_at)
     select 'cust_ix_' || (i % 40), case when i % 10 = 0 then 3 else 9 end, now() - (i % 400) * interval '1 day' - i * interval '1 second'
     from generate_series(1, 20000) i`,
  );
  // A backfilled history holds far more tier changes than scoring as of now writes.
  await sql(
    db,
    `insert into tier_change (customer_id, from_tier, to_tier, to_score, direction, changed_at, backfill)
     select 'cust_ix_' || (i % 40), 'healthy', 'monitor', 60, 'WORSENED', now() - (i % 365) * interval '1 day' - i * interval '1 second', i % 50 <> 0
     from generate_series(1, 30000) i`,
  );
  // A book of scored accounts, most of them healthy or monitored and a few in the two worst tiers (as
  // a real book is), each with the latest score the score lists join. Their scores are not drops, so
  // the changes feed has none of them.
  await sql(
    db,
    `insert into customer (id, name, arr_cents, health_score, tier, lifecycle_stage)
     select 'cust_sc_' || i, 'scored ' || i, (i * 7919) % 10000000, s.score,
            case when s.score >= 70 then 'healthy' when s.score >= 50 then 'monitor' when s.score >= 30 then 'at_risk' else 'critical' end,
            case when s.score < 50 then 'AT_RISK' else 'ACTIVE' end
     from generate_series(1, 20000) i cross join lateral (select case when i % 33 = 0 then i % 50 else 50 + (i * 37) % 51 end as score) s`,
  );
  await sql(
    db,
    `insert into health_score (customer_id, score, tier, trend, components, signals, coverage, model_version, as_of, backfill)
     select c.id, c.health_score, c.tier, 'STABLE', '[]', '[]', 1, 1, now() - interval '1 hour', true from customer c where c.id like 'cust_sc_%'`,
  );
  await sql(db, 'analyze');
}, 120_000);

afterAll(() => server?.stop());

it("reads a customer's events of one type through the customer-and-type index, not every customer's events of that type", async () => {
  for (const query of [
    `{ customer(id: "cust_ix_3") { engagementEvents(eventType: "type_4", first: 20) { edges { node { id } } } } }`,
    `{ customers(first: 10) { edges { node { engagementEvents(eventType: "type_4", first: 5) { edges { node { id } } } } } } }`,
    `{ engagementEvents(customerId: "cust_ix_3", eventType: "type_4", first: 20) { edges { node { id } } } }`,
  ]) {
    for (const plan of await plansOf(query, 'engagement_event')) expect(plan).toContain('engagement_event_customer_type_time_idx');
  }
});

it('reads the outreach log of one playbook through its index', async () => {
  const plans = await plansOf(`{ outreachLog(playbook: "silence", first: 20) { edges { node { id } } } }`, 'outreach_action');
  for (const plan of plans) expect(plan).toContain('outreach_action_playbook_time_idx');
});

it('reads the audit log of one action, and of one actor, through their indexes', async () => {
  const byAction = await plansOf(`{ auditLog(action: "scoring.fullRun", first: 20) { edges { node { id } } } }`, 'audit_log');
  for (const plan of byAction) expect(plan).toContain('audit_log_action_at_idx');
  const byActor = await plansOf(`{ auditLog(actor: "key_7", first: 20) { edges { node { id } } } }`, 'audit_log');
  for (const plan of byActor) expect(plan).toContain('audit_log_actor_at_idx');
});

it('sums the deliveries of a period from the index alone', async () => {
  const plans = await plansOf(`{ deliverySummary(from: "${daysAgo(10)}", to: "${daysAgo(3)}") { total { status count } } }`, 'delivery');
  for (const plan of plans) {
    expect(plan).toContain('delivery_created_idx');
    expect(plan).not.toMatch(/Seq Scan on delivery/);
  }
});

it('reads the changes feed of the last day through an index for each of its sources', async () => {
  const [plan] = await plansOf(`{ changes(since: "${daysAgo(1)}") { edges { node { id } } } }`, 'tier_change');
  expect(plan).toContain('tier_change_feed_time_idx');
  expect(plan).toContain('tier_change_model_move_idx');
  expect(plan).toContain('support_ticket_urgent_time_idx');
  expect(plan).toContain('nps_response_detractor_time_idx');
  expect(plan).toContain('health_score_drop_idx');
  expect(plan).not.toMatch(/Seq Scan on (tier_change|support_ticket|nps_response)/);
});

it("reads a page of the changes feed through each source's time index, however far back it starts", async () => {
  const [plan] = await plansOf(`{ changes(since: "${daysAgo(400)}", first: 20) { edges { node { id } } } }`, 'tier_change');
  // Each source gives its newest rows in order and stops at the page's size; the page merges them.
  expect(plan).toContain('Merge Append');
  for (const index of ['tier_change_feed_time_idx', 'support_ticket_urgent_time_idx', 'nps_response_detractor_time_idx']) {
    expect(plan).toContain(`Index Scan Backward using ${index}`);
  }
});

it('reads healthScores of a score range through the score index from minScore on, not every lower score before it', async () => {
  const plans = await plansOf(
    `{ healthScores(minScore: 90, maxScore: 95, first: 20) { totalCount edges { node { score } } } }`,
    'customer',
  );
  for (const plan of plans) expect(plan).toMatch(/Index Cond: .*COALESCE\(health_score, '-1'::integer\) >= 90/);
});

it('reads the worklist in its order through the ARR-at-risk index, not every account sorted', async () => {
  const plans = await plansOf(`{ worklist(first: 20) { edges { node { id } } } }`, 'customer');
  const page = plans.filter((plan) => plan.includes('Limit'));
  expect(page).toHaveLength(1);
  expect(page[0]).toContain('Index Scan Backward using customer_arr_at_risk_idx');
});

it('reads the customers in last-activity order through the last-activity index, not every account sorted', async () => {
  for (const orderBy of ['LAST_ACTIVITY_ASC', 'LAST_ACTIVITY_DESC']) {
    const page = (await plansOf(`{ customers(orderBy: ${orderBy}, first: 20) { edges { node { id } } } }`, 'customer')).filter((plan) =>
      plan.includes('Limit'),
    );
    expect(page).toHaveLength(1);
    expect(page[0]).toContain('customer_last_activity_idx');
  }
});

it('reads the accounts of one tier in score order through the tier-and-score index, not every lower score first', async () => {
  for (const query of [
    `{ healthScores(tier: "healthy", first: 20) { edges { node { score } } } }`,
    `{ customers(tier: "healthy", orderBy: SCORE_ASC, first: 20) { edges { node { id } } } }`,
    `{ customers(tier: "at_risk", orderBy: SCORE_DESC, first: 20) { edges { node { id } } } }`,
  ]) {
    const page = (await plansOf(query, 'customer')).filter((plan) => plan.includes('Limit'));
    expect(page).toHaveLength(1);
    expect(page[0]).toContain('customer_tier_score_idx');
  }
});

it('reads the outreach log of one audience through its index', async () => {
  const plans = await plansOf(`{ outreachLog(audience: CUSTOMER, first: 20) { totalCount edges { node { id } } } }`, 'outreach_action');
  const page = plans.filter((plan) => plan.includes('Limit'));
  expect(page).toHaveLength(1);
  expect(page[0]).toContain('outreach_action_audience_time_idx');
});
