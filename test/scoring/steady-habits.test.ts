// Steady habits that are not churn, end to end through the public API with past timestamps and
// asOf: accounts used about once a month (for a day, or two days in a row), a large team of
// occasional users, and accounts whose team takes three weeks off. None changes its habits, so
// scored daily for a month none may ever reach the two worst tiers.
import { RefreshAllDocument, TierChangesDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const today = new Date();
const day0 = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - 200 * DAY;
const at = (day: number, hour: number) => new Date(day0 + day * DAY + hour * 3_600_000).toISOString();
const FEATURES = ['reports', 'dashboards', 'alerts', 'exports'];

/** A deterministic stream in [0, 1). */
function randomStream(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

function visit(customerId: string, day: number, userId: string, random: () => number) {
  return Array.from({ length: 2 + Math.floor(random() * 4) }, (_, k) => ({
    customerId,
    eventType: k === 0 ? 'login' : 'feature_used',
    feature: k === 0 ? null : FEATURES[Math.floor(random() * FEATURES.length)],
    userId,
    occurredAt: at(day, 9 + k),
  }));
}

beforeAll(async () => {
  server = await startTestServer({ label: 'steady_habits', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_monthly', 'cust_monthly_pairs', 'cust_occasional_team', 'cust_holiday_daily', 'cust_holiday_weekdays'])
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: at(0, 0), arrCents: 2_400_000 } });
  const random = randomStream(11);
  const events = [];
  // A visit every 27 to 33 days, by one of two users.
  for (let day = 3; day < 200; day += 27 + Math.floor(random() * 7))
    events.push(...visit('cust_monthly', day, `m${Math.floor(random() * 2)}`, random));
  // 40 users, each coming on a day with a chance of 1 in 21: about two a day, half the team in a fortnight.
  for (let day = 0; day < 200; day++)
    for (let user = 0; user < 40; user++) if (random() < 1 / 21) events.push(...visit('cust_occasional_team', day, `t${user}`, random));
  // Three weeks away, nobody at all: a daily account last used on day 169 and back on day 191; a
  // weekday-only one last used on the Friday before day 171 and back on the Monday 24 days later.
  const weekday = (day: number) => [1, 2, 3, 4, 5].includes(new Date(day0 + day * DAY).getUTCDay());
  const friday = [...Array(7).keys()].map((k) => 170 - k).find((day) => new Date(day0 + day * DAY).getUTCDay() === 5)!;
  for (let day = 0; day < 200; day++) {
    if (day < 170 || day > 190) events.push(...visit('cust_holiday_daily', day, `d${day % 3}`, random));
    if (weekday(day) && (day <= friday || day >= friday + 24)) events.push(...visit('cust_holiday_weekdays', day, `w${day % 3}`, random));
  }
  // Two days in a row every 25 to 31 days (drawn last: the others' days stay as they were).
  for (let day = 5; day < 199; day += 25 + Math.floor(random() * 7))
    for (const next of [0, 1]) events.push(...visit('cust_monthly_pairs', day + next, `p${Math.floor(random() * 2)}`, random));
  for (let start = 0; start < events.length; start += 2000) {
    const result = await server.gql(TrackEngagementBatchDocument, { events: events.slice(start, start + 2000) });
    expect(result.trackEngagementBatch.errors).toEqual([]);
  }
  // Daily scoring at 23:00 over the last 35 days.
  for (let day = 165; day < 200; day++) {
    const run = await server.gql(RefreshAllDocument, { asOf: at(day, 23) });
    expect(run.refreshAllHealthScores).toMatchObject({ status: 'SUCCEEDED', customersScored: 5 });
  }
}, 180_000);
afterAll(() => server.stop());

/** The tiers the customer was placed in over the daily runs. */
async function tiersOf(customerId: string): Promise<string[]> {
  const changes = await server.gql(TierChangesDocument, { customerId, first: 100 });
  return changes.tierChanges.edges.map((e) => e.node.toTier);
}

it.each(['cust_monthly', 'cust_monthly_pairs'])(
  'never flags %s, used about once a month, between its visits: its weeks without use are its habit',
  async (customerId) => {
    const tiers = await tiersOf(customerId);
    expect(tiers.length).toBeGreaterThan(0);
    expect(tiers.filter((t) => t === 'at_risk' || t === 'critical')).toEqual([]);
  },
);

it.each(['cust_monthly', 'cust_monthly_pairs'])(
  'never counts the weeks between the visits of %s as a silence: within two of its usual gaps, the silence signal costs nothing',
  async (customerId) => {
    const history = await server.request<{ healthScoreHistory: { edges: Array<{ node: { reasons: Array<{ name: string }> } }> } }, unknown>(
      `{ healthScoreHistory(customerId: "${customerId}", first: 100) { edges { node { reasons(first: 20) { name } } } } }`,
    );
    const reasons = history.data!.healthScoreHistory.edges.map((e) => e.node.reasons.map((r) => r.name));
    expect(reasons).toHaveLength(35);
    expect(reasons.filter((names) => names.includes('silence'))).toEqual([]);
  },
);

it('never flags a large team of occasional users, half of whom come in any fortnight', async () => {
  const tiers = await tiersOf('cust_occasional_team');
  expect(tiers.length).toBeGreaterThan(0);
  expect(tiers.filter((t) => t === 'at_risk' || t === 'critical')).toEqual([]);
});

it.each(['cust_holiday_daily', 'cust_holiday_weekdays'])(
  'never flags %s, whose team took three weeks off: the silence drops it to monitor, and no further',
  async (customerId) => {
    const tiers = await tiersOf(customerId);
    expect(tiers).toContain('monitor');
    expect(tiers.filter((t) => t === 'at_risk' || t === 'critical')).toEqual([]);
  },
);
