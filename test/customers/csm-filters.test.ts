// The filters a CS team uses: one CSM's book everywhere (customers, worklist, tier changes, outreach
// log, summary), and the outreach log by audience, playbook and time range.
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions } from '../../src/outreach/outreach.service';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

async function ok<T>(query: string): Promise<T> {
  const result = await server.request<T, Record<string, unknown>>(query);
  expect(result.errors).toBeUndefined();
  return result.data as T;
}

beforeAll(async () => {
  server = await startTestServer({ label: 'csm_filters', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const book: Array<[string, string | null]> = [
    ['cust_kate_1', 'Kate'],
    ['cust_kate_2', 'Kate'],
    ['cust_omar_1', 'Omar'],
    ['cust_none_1', null],
    ['cust_katelyn_1', 'Katelyn'],
  ];
  for (const [id, csmOwner] of book) {
    await ok(
      `mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(100)}", csmOwner: ${csmOwner ? `"${csmOwner}"` : 'null'} }) { id } }`,
    );
  }
  await ok('mutation { refreshAllHealthScores { status } }');
  const at = (days: number) => new Date(Date.now() - days * DAY);
  await insertOutreachActions(server.app.orm.em.fork() as Db, [
    {
      customerId: 'cust_kate_1',
      playbook: 'critical',
      action: 'csm_alert',
      audience: 'TEAM',
      channel: 'SLACK',
      trigger: 'CRITICAL',
      status: 'DECIDED',
      createdAt: at(1),
    },
    {
      customerId: 'cust_kate_2',
      playbook: 'expansion',
      action: 'referral_request',
      audience: 'CUSTOMER',
      channel: 'EMAIL',
      trigger: 'EXPANSION',
      status: 'DECIDED',
      createdAt: at(3),
    },
    {
      customerId: 'cust_omar_1',
      playbook: 'critical',
      action: 'check_in_email',
      audience: 'CUSTOMER',
      channel: 'EMAIL',
      trigger: 'CRITICAL',
      status: 'DECIDED',
      createdAt: at(2),
    },
    {
      customerId: 'cust_katelyn_1',
      playbook: 'silence',
      action: 'csm_alert',
      audience: 'TEAM',
      channel: 'SLACK',
      trigger: 'SILENCE',
      status: 'DECIDED',
      createdAt: at(10),
    },
  ]);
});
afterAll(() => server.stop());

const ids = (connection: { edges: Array<{ node: { id?: string; customerId?: string } }> }) =>
  connection.edges.map((e) => e.node.id ?? e.node.customerId).sort();

it("lists exactly one CSM's accounts, not the owners whose name contains it", async () => {
  const data = await ok<{ customers: { edges: Array<{ node: { id: string } }> } }>(
    '{ customers(csmOwner: "Kate") { edges { node { id } } } }',
  );
  expect(ids(data.customers)).toEqual(['cust_kate_1', 'cust_kate_2']);
});

it('filters tier changes, the summary and the outreach log by CSM', async () => {
  const changes = await ok<{ tierChanges: { edges: Array<{ node: { customerId: string } }> } }>(
    '{ tierChanges(csmOwner: "Kate") { edges { node { customerId } } } }',
  );
  expect(ids(changes.tierChanges)).toEqual(['cust_kate_1', 'cust_kate_2']);
  const summary = await ok<{ healthSummary: { totalCustomers: number; churnedCustomers: number; tiers: Array<{ count: number }> } }>(
    '{ healthSummary(csmOwner: "Omar") { totalCustomers churnedCustomers tiers { count } } }',
  );
  expect(summary.healthSummary.totalCustomers).toBe(1);
  // Omar's one account, in a tier or churned (never used in the 100 days since its sign-up, it is churned by its silence).
  expect(summary.healthSummary.tiers.reduce((n, t) => n + t.count, 0) + summary.healthSummary.churnedCustomers).toBe(1);
  const log = await ok<{ outreachLog: { edges: Array<{ node: { customerId: string } }> } }>(
    '{ outreachLog(csmOwner: "Kate") { edges { node { customerId } } } }',
  );
  expect(ids(log.outreachLog)).toEqual(['cust_kate_1', 'cust_kate_2']);
});

it('filters the outreach log by audience, playbook and time range', async () => {
  const team = await ok<{ outreachLog: { edges: Array<{ node: { customerId: string } }> } }>(
    '{ outreachLog(audience: TEAM) { edges { node { customerId } } } }',
  );
  expect(ids(team.outreachLog)).toEqual(['cust_kate_1', 'cust_katelyn_1']);
  const critical = await ok<{ outreachLog: { edges: Array<{ node: { customerId: string } }> } }>(
    '{ outreachLog(playbook: "critical") { edges { node { customerId } } } }',
  );
  expect(ids(critical.outreachLog)).toEqual(['cust_kate_1', 'cust_omar_1']);
  const lastFiveDays = await ok<{ outreachLog: { edges: Array<{ node: { customerId: string } }> } }>(
    `{ outreachLog(from: "${daysAgo(5)}", to: "${daysAgo(1.5)}") { edges { node { customerId } } } }`,
  );
  expect(ids(lastFiveDays.outreachLog)).toEqual(['cust_kate_2', 'cust_omar_1']);
  const refused = await server.request(`{ outreachLog(from: "${daysAgo(1)}", to: "${daysAgo(5)}") { totalCount } }`);
  expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
});

it("keeps the worklist to one CSM's book when asked", async () => {
  // Two accounts of different CSMs in the worst tier (set directly: new accounts score healthy).
  await sql(
    server.database,
    `update customer set tier = 'critical', lifecycle_stage = 'AT_RISK', health_score = 20 where id in ('cust_kate_1', 'cust_omar_1')`,
  );
  const all = await ok<{ worklist: { edges: Array<{ node: { id: string } }> } }>('{ worklist { edges { node { id } } } }');
  expect(ids(all.worklist)).toEqual(['cust_kate_1', 'cust_omar_1']);
  const kate = await ok<{ worklist: { edges: Array<{ node: { id: string } }> } }>(
    '{ worklist(csmOwner: "Kate") { edges { node { id } } } }',
  );
  expect(ids(kate.worklist)).toEqual(['cust_kate_1']);
  const refused = await server.request('{ worklist(csmOwner: "K\\u0000te") { totalCount } }');
  expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
});

it('takes a CSM filter as typed or pasted, with spaces around the name: the owner was stored trimmed', async () => {
  const padded = JSON.stringify('  Kate \t');
  const kate = await ok<{
    customers: { edges: Array<{ node: { id: string } }> };
    worklist: { edges: Array<{ node: { id: string } }> };
    tierChanges: { edges: Array<{ node: { customerId: string } }> };
    outreachLog: { edges: Array<{ node: { customerId: string } }> };
    healthSummary: { totalCustomers: number };
    changes: { edges: Array<{ node: { customerId: string } }> };
  }>(`{
    customers(csmOwner: ${padded}) { edges { node { id } } }
    worklist(csmOwner: ${padded}) { edges { node { id } } }
    tierChanges(csmOwner: ${padded}) { edges { node { customerId } } }
    outreachLog(csmOwner: ${padded}) { edges { node { customerId } } }
    healthSummary(csmOwner: ${padded}) { totalCustomers }
    changes(since: "${daysAgo(30)}", csmOwner: ${padded}) { edges { node { customerId } } }
  }`);
  expect(ids(kate.customers)).toEqual(['cust_kate_1', 'cust_kate_2']);
  expect(ids(kate.worklist)).toEqual(['cust_kate_1']);
  expect(ids(kate.tierChanges)).toEqual(['cust_kate_1', 'cust_kate_2']);
  expect(ids(kate.outreachLog)).toEqual(['cust_kate_1', 'cust_kate_2']);
  expect(kate.healthSummary.totalCustomers).toBe(2);
  expect([...new Set(ids(kate.changes))]).toEqual(['cust_kate_1', 'cust_kate_2']);
});

it('reads a blank CSM or plan filter as one not given, as an empty tier, an empty event type and the CSV exports do', async () => {
  // A blank filter cannot name an owner or a plan (a blank one is stored as none): it matched
  // nothing, so a client sending an emptied search field saw an empty book instead of everyone's.
  const lists = (csmOwner: string) => `{
    customers(${csmOwner}) { totalCount }
    worklist(${csmOwner}) { totalCount }
    tierChanges(${csmOwner}) { totalCount }
    outreachLog(${csmOwner}) { totalCount }
    healthSummary(${csmOwner}) { totalCustomers }
    changes(since: "${daysAgo(30)}", ${csmOwner}) { totalCount }
    npsSummary(${csmOwner.replace('csmOwner', 'plan')}) { responses }
  }`;
  const everyone = await ok<Record<string, unknown>>(lists('csmOwner: null'));
  expect(await ok<Record<string, unknown>>(lists('csmOwner: ""'))).toEqual(everyone);
  expect(await ok<Record<string, unknown>>(lists('csmOwner: "  "'))).toEqual(everyone);
  expect((everyone.customers as { totalCount: number }).totalCount).toBeGreaterThan(0);
});

it("summarises NPS for one CSM's book or one plan, over a period", async () => {
  await ok(`mutation { upsertCustomer(input: { id: "cust_kate_1", name: "cust_kate_1", plan: "enterprise" }) { id } }`);
  for (const [customerId, score, days] of [
    ['cust_kate_1', 10, 2],
    ['cust_kate_2', 3, 2],
    ['cust_omar_1', 9, 2],
    ['cust_kate_1', 0, 40],
  ] as const) {
    await ok(
      `mutation { submitNpsResponse(input: { customerId: "${customerId}", score: ${score}, respondedAt: "${daysAgo(days)}" }) { id } }`,
    );
  }
  const kate = await ok<{ npsSummary: { responses: number; promoters: number; detractors: number } }>(
    `{ npsSummary(csmOwner: "Kate", from: "${daysAgo(30)}") { responses promoters detractors } }`,
  );
  expect(kate.npsSummary).toEqual({ responses: 2, promoters: 1, detractors: 1 });
  const enterprise = await ok<{ npsSummary: { responses: number; nps: number } }>('{ npsSummary(plan: "enterprise") { responses nps } }');
  expect(enterprise.npsSummary).toEqual({ responses: 2, nps: 0 });
});

it("pages a customer's events by time range, two ranges of one page kept apart", async () => {
  for (const days of [1, 5, 9]) {
    await ok(
      `mutation { trackEngagement(input: { customerId: "cust_omar_1", eventType: "login", occurredAt: "${daysAgo(days)}" }) { id } }`,
    );
  }
  // The same instant as a lower and as an upper bound: the same values, two different filters.
  const cut = daysAgo(6);
  const data = await ok<{ customers: { edges: Array<{ node: { recent: { totalCount: number }; older: { totalCount: number } } }> } }>(
    `{ customers(csmOwner: "Omar") { edges { node { recent: engagementEvents(from: "${cut}") { totalCount } older: engagementEvents(to: "${cut}") { totalCount } } } } }`,
  );
  expect(data.customers.edges[0].node).toEqual({ recent: { totalCount: 2 }, older: { totalCount: 1 } });
});

it('refuses a tier or playbook that no version of the model defines, and accepts those of an earlier version', async () => {
  const refused = async (query: string, argument: string) => {
    const result = await server.request(query);
    expect({ query, code: result.errors?.[0].extensions?.code, argument: result.errors?.[0].extensions?.argument }).toEqual({
      query,
      code: 'BAD_USER_INPUT',
      argument,
    });
    return result.errors?.[0].message;
  };
  const message = await refused('{ customers(tier: "critcal") { totalCount } }', 'tier');
  expect(message).toContain('healthy, monitor, at_risk, critical');
  await refused('{ healthScores(tier: "Critical") { totalCount } }', 'tier');
  await refused('{ outreachLog(playbook: "silent") { totalCount } }', 'playbook');
  await refused('{ worklist(tier: "critcal") { totalCount } }', 'tier');
  expect(await refused('{ worklist(tier: "healthy") { totalCount } }', 'tier')).toContain('only the tiers at_risk and critical');
  // An empty tier is no filter, on the worklist as on the customer list.
  const empty = await ok<{ all: { totalCount: number }; none: { totalCount: number } }>(
    '{ all: worklist { totalCount } none: worklist(tier: "") { totalCount } }',
  );
  expect(empty.none.totalCount).toBe(empty.all.totalCount);
  const csv = await fetch(`${server.url.replace(/\/graphql$/, '')}/export/customers.csv?tier=nope`);
  expect(csv.status).toBe(400);
  await ok(
    '{ customers(tier: "critical") { totalCount } healthScores(tier: "healthy") { totalCount } outreachLog(playbook: "expansion") { totalCount } }',
  );

  // Another tier scheme: its bands are known, and so are the earlier version's (customers keep their tier until rescored).
  await ok('mutation { updateScoringModel(input: { tierPreset: "five_band_stable" }) { version } }');
  await ok('{ watch: customers(tier: "watch") { totalCount } monitor: customers(tier: "monitor") { totalCount } }');
  expect(await refused('{ customers(tier: "nope") { totalCount } }', 'tier')).toContain('healthy, stable, watch, at_risk, critical');
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
});

it('answers NOT_FOUND for a list filtered by a customer that does not exist, an empty page for one that has no rows', async () => {
  const lists = [
    'engagementEvents(customerId: $id) { totalCount }',
    'npsResponses(customerId: $id) { totalCount }',
    'npsSummary(customerId: $id) { responses }',
    'outreachLog(customerId: $id) { totalCount }',
    'tierChanges(customerId: $id) { totalCount }',
  ];
  for (const list of lists) {
    const query = `query ($id: ID!) { ${list} }`;
    const unknown = await server.request(query, { id: 'cust_nobody' });
    const field = list.slice(0, list.indexOf('('));
    expect({ list, code: unknown.errors?.[0].extensions?.code, data: unknown.data }).toEqual({
      list,
      code: 'NOT_FOUND',
      data: { [field]: null },
    });
    const known = await server.request(query, { id: 'cust_none_1' });
    expect({ list, errors: known.errors }).toEqual({ list, errors: undefined });
  }
});

it("keeps the customer list, the worklist and the summary to one plan's accounts, as typed or pasted", async () => {
  // Set directly, scores included: new accounts score healthy, and none of these is queued for rescoring.
  await sql(
    server.database,
    `insert into customer (id, name, plan, csm_owner, arr_cents, tier, lifecycle_stage, health_score, signed_up_at)
     values ('cust_scale_1', 'Scale 1', 'Scale', 'Omar', 500000, 'critical', 'AT_RISK', 20, now() - interval '100 days'),
            ('cust_scale_2', 'Scale 2', 'Scale', 'Kate', 300000, 'healthy', 'ACTIVE', 90, now() - interval '100 days'),
            ('cust_scaleup_1', 'Scale-up 1', 'Scale-up', 'Omar', 700000, 'critical', 'AT_RISK', 25, now() - interval '100 days')`,
  );
  await sql(
    server.database,
    `insert into health_score (customer_id, score, tier, trend, previous_score, components, signals, penalties, coverage, model_version, as_of)
     select id, health_score, tier, 'STABLE', health_score, '[]', '[]', '[]', 1, 1, now() from customer where id like 'cust_scale%'`,
  );
  const padded = JSON.stringify(' Scale ');
  const scale = await ok<{
    customers: { edges: Array<{ node: { id: string } }> };
    worklist: { edges: Array<{ node: { id: string } }> };
    healthSummary: { totalCustomers: number; tiers: Array<{ tier: string; count: number; arrCents: number }> };
    omars: { edges: Array<{ node: { id: string } }> };
  }>(`{
    customers(plan: ${padded}) { edges { node { id } } }
    worklist(plan: ${padded}) { edges { node { id } } }
    healthSummary(plan: ${padded}) { totalCustomers tiers { tier count arrCents } }
    omars: customers(plan: "Scale", csmOwner: "Omar") { edges { node { id } } }
  }`);
  // Exactly the plan: not "Scale-up", whose name starts with it.
  expect(ids(scale.customers)).toEqual(['cust_scale_1', 'cust_scale_2']);
  expect(ids(scale.worklist)).toEqual(['cust_scale_1']);
  expect(scale.healthSummary.totalCustomers).toBe(2);
  expect(scale.healthSummary.tiers.filter((band) => band.count > 0)).toEqual([
    { tier: 'healthy', count: 1, arrCents: 300000 },
    { tier: 'critical', count: 1, arrCents: 500000 },
  ]);
  expect(ids(scale.omars)).toEqual(['cust_scale_1']);
  for (const list of [
    'customers(plan: $plan) { totalCount }',
    'worklist(plan: $plan) { totalCount }',
    'healthSummary(plan: $plan) { totalCustomers }',
  ]) {
    const refused = await server.request(`query ($plan: String) { ${list} }`, { plan: 'Sc\u0000ale' });
    expect({ list, code: refused.errors?.[0].extensions?.code }).toEqual({ list, code: 'BAD_USER_INPUT' });
  }
});
