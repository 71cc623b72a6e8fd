// The expansion play waits until an account has been in no worse tier for the playbook's hold (14
// days): an account critical minutes ago, whose invoices were just paid, is not asked for a referral.
// The scoring batch reads the hold from the previous point and the tier changes, for the accounts the
// play may reach only.
import {
  OutreachLogDocument,
  RefreshHealthScoreDocument,
  SubmitNpsResponseDocument,
  TrackEngagementBatchDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

const DAY = 86_400_000;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

let server: TestServer;
const THE_PLAY = ['early_access_offer', 'expansion_opportunity', 'referral_request'];

/** Three users on five features every day for 120 days, and a promoter's answer: a thriving account. */
async function thriving(customerId: string): Promise<void> {
  await server.gql(UpsertCustomerDocument, { input: { id: customerId, name: customerId, signedUpAt: daysAgo(200), seats: 3 } });
  const events = [];
  for (let d = 120; d >= 0; d--) {
    for (const [i, userId] of ['u1', 'u2', 'u3'].entries()) {
      events.push({ customerId, eventType: 'feature_used', feature: `f${(d + i) % 5}`, userId, occurredAt: daysAgo(d, 8 + i) });
    }
  }
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  await server.gql(SubmitNpsResponseDocument, { input: { customerId, score: 10, respondedAt: daysAgo(10) } });
}

/** The customer scored as of `days` ago (a backfill: history only), its point then set to the worst tier. */
async function criticalAt(customerId: string, days: number): Promise<void> {
  const asOf = new Date(now - days * DAY).toISOString();
  await server.gql(RefreshHealthScoreDocument, { customerId, asOf });
  await sql(server.database, `update health_score set tier = 'critical', score = 0 where customer_id = $1 and as_of = $2`, [
    customerId,
    asOf,
  ]);
}

/** The customer scored as of `days` ago, a backfill: after a critical point, a tier change out of critical. */
async function scoredAt(customerId: string, days: number): Promise<void> {
  await server.gql(RefreshHealthScoreDocument, { customerId, asOf: new Date(now - days * DAY).toISOString() });
}

async function expansionActions(customerId: string): Promise<string[]> {
  const log = await server.gql(OutreachLogDocument, { customerId, first: 50 });
  return log.outreachLog.edges
    .map((edge) => edge.node)
    .filter((action) => action.playbook === 'expansion')
    .map((action) => action.action)
    .sort();
}

beforeAll(async () => {
  server = await startTestServer({ label: 'expansion_hold', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_steady', 'cust_just_critical', 'cust_critical_last_week', 'cust_critical_weeks_ago']) await thriving(id);
});
afterAll(() => server.stop());

it('offers the expansion play to an account in the best tier throughout the hold', async () => {
  // Scored ten days ago too: its trend is measured (without a point a trend window ago, no play).
  await scoredAt('cust_steady', 10);
  await scoredAt('cust_steady', 3);
  const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_steady' });
  expect(score).toMatchObject({ tier: 'healthy' });
  expect(score.score).toBeGreaterThanOrEqual(90);
  expect(await expansionActions('cust_steady')).toEqual(THE_PLAY);
});

it('holds it back from an account critical at its previous scoring, now at 90+', async () => {
  await scoredAt('cust_just_critical', 10);
  await criticalAt('cust_just_critical', 0.01);
  const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_just_critical' });
  expect(score.score).toBeGreaterThanOrEqual(90);
  expect(await expansionActions('cust_just_critical')).toEqual([]);
});

it('holds it back from an account that left the worst tier within the last 14 days, and not from one that left it before', async () => {
  await criticalAt('cust_critical_last_week', 8);
  await scoredAt('cust_critical_last_week', 7);
  await criticalAt('cust_critical_weeks_ago', 20);
  await scoredAt('cust_critical_weeks_ago', 16);
  await scoredAt('cust_critical_weeks_ago', 10);
  const changes = await sql<{ customer_id: string; from_tier: string }>(
    server.database,
    `select customer_id, from_tier from tier_change where customer_id in ('cust_critical_last_week', 'cust_critical_weeks_ago') and from_tier is not null order by 1`,
  );
  expect(changes).toEqual([
    { customer_id: 'cust_critical_last_week', from_tier: 'critical' },
    { customer_id: 'cust_critical_weeks_ago', from_tier: 'critical' },
  ]);
  for (const customerId of ['cust_critical_last_week', 'cust_critical_weeks_ago']) {
    const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId });
    expect(score).toMatchObject({ tier: 'healthy' });
  }
  expect(await expansionActions('cust_critical_last_week')).toEqual([]);
  expect(await expansionActions('cust_critical_weeks_ago')).toEqual(THE_PLAY);
});

it('reads the hold in one statement, and none when no account of the batch may get the play', async () => {
  const statements = async (customerId: string) =>
    (await statementsDuring(server.app.orm, () => server.gql(RefreshHealthScoreDocument, { customerId }))).filter((text) =>
      /from tier_change t\s+where t\.customer_id = c\.id and t\.from_tier is not null/.test(text),
    );
  expect(await statements('cust_steady')).toHaveLength(1);
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_new', name: 'New', signedUpAt: daysAgo(2) } });
  // Onboarding: no expansion play, nothing read for it.
  expect(await statements('cust_new')).toHaveLength(0);
});
