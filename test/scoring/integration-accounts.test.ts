// An account whose integration syncs every day under a key that names no user, through the API:
// the red flags on who uses the product and how read its team's days, not the integration's, so a
// team away on holiday while the syncs run is not a team that left, and a champion left alone with
// the syncs, or a team gone for weeks behind them, still is.
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

/** Ninety days of a team of four on five features, and an integration's sync every day; `teamOn(d)` says who came d days ago. */
function account(customerId: string, teamOn: (daysAgo: number) => string[]) {
  const events = [];
  for (let d = 90; d >= 1; d--) {
    events.push({ customerId, eventType: 'api_call', feature: 'api', occurredAt: daysAgo(d, 3) });
    for (const [i, userId] of teamOn(d).entries()) {
      events.push({ customerId, eventType: 'feature_used', feature: `f${(d + i) % 5}`, userId, occurredAt: daysAgo(d, 9 + i) });
      events.push({ customerId, eventType: 'feature_used', feature: `f${(d + i + 2) % 5}`, userId, occurredAt: daysAgo(d, 10 + i) });
    }
  }
  return events;
}

const TEAM = ['u1', 'u2', 'u3', 'u4'];

interface Score {
  tier: string;
  penalties: Array<{ name: string; applied: boolean }>;
}

async function scoreOf(customerId: string): Promise<Score> {
  const response = await server.request<{ refreshHealthScore: Score }, Record<string, never>>(
    `mutation { refreshHealthScore(customerId: "${customerId}") { tier penalties { name applied } } }`,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.refreshHealthScore;
}

const applied = (score: Score) => score.penalties.filter((p) => p.applied).map((p) => p.name);

beforeAll(async () => {
  server = await startTestServer({ label: 'integration-accounts', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of [
    'cust_holiday',
    'cust_short_holiday',
    'cust_twice_a_week',
    'cust_champion',
    'cust_gone',
    'cust_handed_over',
    'cust_steady',
    'cust_run_by_integration',
  ]) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(200), arrCents: 6_000_000, seats: 6 } });
  }
  const events = [
    // The whole team away for the last 16 days.
    ...account('cust_holiday', (d) => (d <= 16 ? [] : TEAM)),
    // Away for the last 10: three weeks of which half are the integration's light days.
    ...account('cust_short_holiday', (d) => (d <= 10 ? [] : TEAM)),
    // Two of them on two days a week, away for the last three weeks.
    ...account('cust_twice_a_week', (d) => (d <= 21 || ![2, 5].includes(d % 7) ? [] : ['u1', 'u2'])),
    // Everyone but the champion gone for the last 25 days; the champion on every day, on one feature.
    ...account('cust_champion', (d) => (d <= 25 ? ['u1'] : TEAM)),
    ...account('cust_steady', () => TEAM),
    // Run by its integration: its admin looks in on three days in the 90, none in the last 35.
    ...account('cust_run_by_integration', (d) => ([40, 55, 80].includes(d) ? ['admin'] : [])),
    // The team gone for the last 36 days, the syncs still running.
    ...account('cust_gone', (d) => (d <= 36 ? [] : TEAM)),
    // The same, but its work handed to the integration: thirty calls a day since.
    ...account('cust_handed_over', (d) => (d <= 36 ? [] : TEAM)),
    ...Array.from({ length: 36 * 29 }, (_, i) => ({
      customerId: 'cust_handed_over',
      eventType: 'api_call',
      feature: 'api',
      occurredAt: daysAgo(1 + Math.floor(i / 29), 4 + (i % 17)),
    })),
  ];
  for (let i = 0; i < events.length; i += 1000) {
    const batch = events.slice(i, i + 1000);
    expect((await server.gql(TrackEngagementBatchDocument, { events: batch })).trackEngagementBatch.errors).toEqual([]);
  }
});
afterAll(() => server.stop());

it("raises no red flag on who uses the product while the team is away and the integration's syncs run", async () => {
  for (const id of ['cust_holiday', 'cust_short_holiday', 'cust_twice_a_week']) {
    const score = await scoreOf(id);
    expect([id, applied(score)]).toEqual([id, []]);
    expect(['healthy', 'monitor']).toContain(score.tier);
  }
  expect((await scoreOf('cust_steady')).tier).toBe('healthy');
});

it('flags a team gone for weeks while the syncs run, and not one that handed its work to the integration', async () => {
  const gone = await scoreOf('cust_gone');
  expect(applied(gone)).toContain('team_gone');
  expect(['at_risk', 'critical']).toContain(gone.tier);
  const handedOver = await scoreOf('cust_handed_over');
  expect(applied(handedOver)).not.toContain('team_gone');
});

it('does not take an account run by its integration, whose admin looks in now and then, for a team gone', async () => {
  const score = await scoreOf('cust_run_by_integration');
  expect(applied(score)).toEqual([]);
  expect(score.tier).toBe('healthy');
});

it('still flags a team that left its champion alone with the syncs', async () => {
  const score = await scoreOf('cust_champion');
  expect(applied(score)).toContain('team_shrinking');
  expect(['at_risk', 'critical']).toContain(score.tier);
});
