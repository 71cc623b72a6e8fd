// "What changed since yesterday": one feed, newest first, with customer names, of tier changes,
// score drops within a tier, failed payments, urgent tickets and detractor answers; by CSM; paged.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const HOUR = 3_600_000;
let server: TestServer;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();
type Feed = {
  changes: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string };
    edges: Array<{
      node: { id: string; kind: string; customerName: string; detail: string | null; toScore: number | null; customer: { id: string } };
    }>;
  };
};

async function ok<T>(query: string): Promise<T> {
  const result = await server.request<T, Record<string, unknown>>(query);
  expect(result.errors).toBeUndefined();
  return result.data as T;
}

beforeAll(async () => {
  server = await startTestServer({ label: 'changes', env: { RESCORE_DEBOUNCE_MS: '0' } });
  await ok(
    `mutation { upsertCustomer(input: { id: "cust_ch_a", name: "Acme", csmOwner: "Kate", signedUpAt: "${hoursAgo(2000)}" }) { id } }`,
  );
  await ok(
    `mutation { upsertCustomer(input: { id: "cust_ch_b", name: "Bolt", csmOwner: "Omar", signedUpAt: "${hoursAgo(2000)}" }) { id } }`,
  );
  // Two days ago: a live tier change that is not "since yesterday".
  await sql(
    server.database,
    `insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, direction, changed_at) values ('cust_ch_a', 'healthy', 'monitor', 75, 60, 'WORSENED', $1)`,
    [hoursAgo(48)],
  );
  // Since yesterday: a tier change, a backfilled one (left out), a drop within a tier, and signals.
  await sql(
    server.database,
    `insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, direction, changed_at) values ('cust_ch_b', 'monitor', 'at_risk', 55, 40, 'WORSENED', $1)`,
    [hoursAgo(5)],
  );
  await sql(
    server.database,
    `insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, direction, changed_at, backfill) values ('cust_ch_b', 'at_risk', 'critical', 40, 20, 'WORSENED', $1, true)`,
    [hoursAgo(4)],
  );
  for (const [score, previous, at] of [
    [62, 78, 3],
    [60, 62, 2],
  ] as const) {
    await sql(
      server.database,
      `insert into health_score (customer_id, score, tier, trend, previous_score, components, signals, penalties, coverage, model_version, as_of) values ('cust_ch_a', $1, 'monitor', 'DECLINING', $2, '[]', '[]', '[]', 1, 1, $3)`,
      [score, previous, hoursAgo(at)],
    );
  }
  await ok(
    `mutation { recordPayment(input: { customerId: "cust_ch_a", externalId: "in_1", amountCents: 120000, currency: "usd", status: FAILED, occurredAt: "${hoursAgo(6)}" }) { id } }`,
  );
  await ok(
    `mutation { recordPayment(input: { customerId: "cust_ch_a", externalId: "in_2", amountCents: 120000, currency: "usd", status: PAID, occurredAt: "${hoursAgo(6)}" }) { id } }`,
  );
  await ok(
    `mutation { recordSupportTicket(input: { customerId: "cust_ch_b", externalId: "T-1", subject: "Export broken", severity: URGENT, openedAt: "${hoursAgo(7)}" }) { id } }`,
  );
  await ok(
    `mutation { recordSupportTicket(input: { customerId: "cust_ch_b", externalId: "T-2", severity: LOW, openedAt: "${hoursAgo(7)}" }) { id } }`,
  );
  await ok(`mutation { submitNpsResponse(input: { customerId: "cust_ch_a", score: 3, respondedAt: "${hoursAgo(1)}" }) { id } }`);
  await ok(`mutation { submitNpsResponse(input: { customerId: "cust_ch_a", score: 9, respondedAt: "${hoursAgo(1)}" }) { id } }`);
});
afterAll(() => server.stop());

const FIELDS = 'totalCount pageInfo { hasNextPage endCursor } edges { node { id kind customerName detail toScore customer { id } } }';

it('lists what changed since an instant, newest first, with names, and nothing older or backfilled', async () => {
  const feed = await ok<Feed>(`{ changes(since: "${hoursAgo(24)}") { ${FIELDS} } }`);
  expect(feed.changes.edges.map((e) => [e.node.kind, e.node.customerName])).toEqual([
    ['DETRACTOR', 'Acme'],
    ['SCORE_DROPPED', 'Acme'],
    ['TIER_CHANGED', 'Bolt'],
    ['PAYMENT_FAILED', 'Acme'],
    ['URGENT_TICKET', 'Bolt'],
  ]);
  expect(feed.changes.edges[0].node).toMatchObject({ detail: '3', customer: { id: 'cust_ch_a' } });
  expect(feed.changes.edges[1].node.toScore).toBe(62);
  expect(feed.changes.edges[3].node.detail).toBe('1200.00 USD');
  expect(feed.changes.edges[4].node.detail).toBe('URGENT: Export broken');
  expect(feed.changes.totalCount).toBe(5);
});

it('narrows to one CSM, and to larger drops', async () => {
  const kate = await ok<Feed>(`{ changes(since: "${hoursAgo(24)}", csmOwner: "Kate") { ${FIELDS} } }`);
  expect(kate.changes.edges.map((e) => e.node.kind)).toEqual(['DETRACTOR', 'SCORE_DROPPED', 'PAYMENT_FAILED']);
  const bigDrops = await ok<Feed>(`{ changes(since: "${hoursAgo(24)}", minScoreDrop: 20) { ${FIELDS} } }`);
  expect(bigDrops.changes.edges.map((e) => e.node.kind)).not.toContain('SCORE_DROPPED');
});

it('pages through the feed with cursors', async () => {
  const first = await ok<Feed>(`{ changes(since: "${hoursAgo(24)}", first: 2) { ${FIELDS} } }`);
  expect(first.changes.pageInfo.hasNextPage).toBe(true);
  const rest = await ok<Feed>(
    `{ changes(since: "${hoursAgo(24)}", first: 10, after: "${first.changes.pageInfo.endCursor}") { ${FIELDS} } }`,
  );
  expect([...first.changes.edges, ...rest.changes.edges].map((e) => e.node.kind)).toEqual([
    'DETRACTOR',
    'SCORE_DROPPED',
    'TIER_CHANGED',
    'PAYMENT_FAILED',
    'URGENT_TICKET',
  ]);
  const refused = await server.request(`{ changes(since: "${hoursAgo(24)}", minScoreDrop: 0) { totalCount } }`);
  expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
});

it("states a failed payment's amount in its currency's minor unit as ISO 4217 has it: yen none, dinars three, forints and rupiahs two", async () => {
  for (const [externalId, currency] of [
    ['in_jpy', 'JPY'],
    ['in_bhd', 'BHD'],
    ['in_iqd', 'IQD'],
    ['in_huf', 'HUF'],
    ['in_idr', 'IDR'],
  ])
    await ok(
      `mutation { recordPayment(input: { customerId: "cust_ch_b", externalId: "${externalId}", amountCents: 150000, currency: "${currency}", status: FAILED, occurredAt: "${hoursAgo(2)}" }) { id } }`,
    );
  const feed = await ok<Feed>(`{ changes(since: "${hoursAgo(3)}") { ${FIELDS} } }`);
  const amounts = feed.changes.edges.filter((e) => e.node.kind === 'PAYMENT_FAILED').map((e) => e.node.detail);
  expect(amounts.sort()).toEqual(['150.000 BHD', '150.000 IQD', '1500.00 HUF', '1500.00 IDR', '150000 JPY']);
});

it('lists a record dated ahead of now (a client clock ahead of ours) once its date has come, not before', async () => {
  const ahead = new Date(Date.now() + 3 * HOUR).toISOString();
  await ok(`mutation { upsertCustomer(input: { id: "cust_ch_ahead", name: "Ahead", signedUpAt: "${hoursAgo(2000)}" }) { id } }`);
  await ok(
    `mutation { recordPayment(input: { customerId: "cust_ch_ahead", externalId: "in_ahead", amountCents: 500, currency: "usd", status: FAILED, occurredAt: "${ahead}" }) { id } }`,
  );
  await ok(
    `mutation { recordSupportTicket(input: { customerId: "cust_ch_ahead", externalId: "T-ahead", severity: URGENT, openedAt: "${ahead}" }) { id } }`,
  );
  await ok(`mutation { submitNpsResponse(input: { customerId: "cust_ch_ahead", score: 0, respondedAt: "${ahead}" }) { id } }`);
  const kinds = async () =>
    (await ok<Feed>(`{ changes(since: "${hoursAgo(24)}", first: 100) { ${FIELDS} } }`)).changes.edges
      .filter((e) => e.node.customer.id === 'cust_ch_ahead' && e.node.kind !== 'TIER_CHANGED')
      .map((e) => e.node.kind)
      .sort();
  expect(await kinds()).toEqual([]);
  // Their date has come.
  await sql(server.database, `update payment set occurred_at = now() - interval '1 minute' where customer_id = 'cust_ch_ahead'`);
  await sql(server.database, `update support_ticket set opened_at = now() - interval '1 minute' where customer_id = 'cust_ch_ahead'`);
  await sql(server.database, `update nps_response set responded_at = now() - interval '1 minute' where customer_id = 'cust_ch_ahead'`);
  expect(await kinds()).toEqual(['DETRACTOR', 'PAYMENT_FAILED', 'URGENT_TICKET']);
});

it('lists no score drop of an account cancelled by then, nor one from a point of another model version', async () => {
  for (const [id, churnedAt] of [
    ['cust_ch_gone', hoursAgo(100)],
    ['cust_ch_model', null],
  ] as const)
    await ok(
      `mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${hoursAgo(2000)}"${churnedAt ? `, churnedAt: "${churnedAt}"` : ''} }) { id } }`,
    );
  const point = (id: string, score: number, previous: number | null, version: number, at: number) =>
    sql(
      server.database,
      `insert into health_score (customer_id, score, tier, trend, previous_score, components, signals, penalties, coverage, model_version, as_of) values ($1, $2, 'critical', 'STABLE', $3, '[]', '[]', '[]', 1, $4, $5)`,
      [id, score, previous, version, hoursAgo(at)],
    );
  // Cancelled four days ago: its score falls as its silence grows, within the tier it left in.
  await point('cust_ch_gone', 15, null, 1, 30);
  await point('cust_ch_gone', 0, 15, 1, 3);
  // Scored under version 1, then under version 2 (a model change moved it), then a real drop under 2.
  await point('cust_ch_model', 40, null, 1, 30);
  await point('cust_ch_model', 20, 40, 2, 4);
  await point('cust_ch_model', 5, 20, 2, 2);
  const feed = await ok<Feed>(`{ changes(since: "${hoursAgo(24)}", first: 100) { ${FIELDS} } }`);
  const drops = feed.changes.edges.filter((e) => e.node.kind === 'SCORE_DROPPED' && e.node.customer.id.match(/gone|model/));
  expect(drops.map((e) => [e.node.customer.id, e.node.toScore])).toEqual([['cust_ch_model', 5]]);
});

it('lists no tier change between points of two model versions, which tierChanges keeps with both versions', async () => {
  await ok(`mutation { upsertCustomer(input: { id: "cust_ch_moved", name: "Moved", signedUpAt: "${hoursAgo(2000)}" }) { id } }`);
  const change = (from: string | null, to: string, fromVersion: number | null, version: number, at: number) =>
    sql(
      server.database,
      `insert into tier_change (customer_id, from_tier, to_tier, to_score, direction, from_model_version, model_version, changed_at)
       values ('cust_ch_moved', $1, $2, 50, 'WORSENED', $3, $4, $5)`,
      [from, to, fromVersion, version, hoursAgo(at)],
    );
  // First scored healthy under version 1; version 2's bands call the same score thriving (the model
  // moved, not the account); then a real fall under version 2.
  await change(null, 'healthy', null, 1, 20);
  await change('healthy', 'thriving', 1, 2, 4);
  await change('thriving', 'at_risk', 2, 2, 2);
  const feed = await ok<{ changes: { edges: Array<{ node: { kind: string; toTier: string; customer: { id: string } } }> } }>(
    `{ changes(since: "${hoursAgo(24)}", first: 100) { edges { node { kind toTier customer { id } } } } }`,
  );
  const listed = feed.changes.edges.filter((e) => e.node.customer.id === 'cust_ch_moved');
  expect(listed.map((e) => e.node.toTier)).toEqual(['at_risk', 'healthy']);
  const log = await ok<{ tierChanges: { edges: Array<{ node: { toTier: string; modelVersion: number; fromModelVersion: number } }> } }>(
    `{ tierChanges(customerId: "cust_ch_moved") { edges { node { toTier fromModelVersion modelVersion } } } }`,
  );
  expect(log.tierChanges.edges.map((e) => e.node)).toEqual([
    { toTier: 'healthy', fromModelVersion: null, modelVersion: 1 },
    { toTier: 'thriving', fromModelVersion: 1, modelVersion: 2 },
    { toTier: 'at_risk', fromModelVersion: 2, modelVersion: 2 },
  ]);
});
