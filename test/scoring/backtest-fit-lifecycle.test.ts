// The fit judges the snapshots as the report does: an account silent for longer than the churn
// window is churned by silence (lifecycle CHURNED), which the report never counts as flagged or as a
// false alarm, and which the fit leaves out of its rows. Kept in as "did not churn", one unlabelled
// account long silent taught the fit that silence precedes staying, and silence was weighted 0.
import { startTestServer, TestServer } from '../helpers/server';
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';

const DAY = 86_400_000;
let server: TestServer;
const today = Math.floor(Date.now() / DAY) * DAY;
const daysAgo = (days: number, hour = 12) => new Date(today - days * DAY + hour * 3_600_000).toISOString();

/** Daily use by four users on five features from 200 days ago until `silentFrom` days ago. */
function dailyUse(id: string, silentFrom = 0) {
  const events = [];
  for (let d = 200; d > silentFrom; d--) {
    for (let u = 0; u < 4; u++) {
      events.push({
        customerId: id,
        eventType: 'feature_used',
        feature: `f${(d + u) % 5}`,
        userId: `${id}_u${u}`,
        occurredAt: daysAgo(d, 9 + u),
      });
    }
  }
  return events;
}

const STEADY = ['cust_fl_s1', 'cust_fl_s2', 'cust_fl_s3', 'cust_fl_s4', 'cust_fl_s5', 'cust_fl_s6'];
// Each stops coming at once, and is labelled churned three weeks later.
const CHURNERS: Array<[string, number]> = [
  ['cust_fl_c1', 80],
  ['cust_fl_c2', 66],
  ['cust_fl_c3', 52],
  ['cust_fl_c4', 73],
];
const GRID = { from: daysAgo(110, 0), to: daysAgo(31, 0), stepDays: 7, horizonDays: 30 };

beforeAll(async () => {
  server = await startTestServer({ label: 'backtest_fit_lifecycle', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const events = [];
  for (const id of STEADY) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(210) } });
    events.push(...dailyUse(id));
  }
  for (const [id, silentFrom] of CHURNERS) {
    await server.gql(UpsertCustomerDocument, {
      input: { id, name: id, signedUpAt: daysAgo(210), churnedAt: daysAgo(silentFrom - 21), churnReason: 'stopped' },
    });
    events.push(...dailyUse(id, silentFrom));
  }
  // Silent since 180 days ago, never labelled: churned by silence at every instant of the grid.
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_fl_quiet', name: 'Quiet', signedUpAt: daysAgo(210) } });
  events.push(...dailyUse('cust_fl_quiet', 180));
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
}, 60_000);
afterAll(() => server.stop());

type Suggestion = {
  samples: number;
  positives: number;
  weights: Array<{ name: string; weight: number }>;
  current: { snapshots: number; falseAlarms: { nonChurners: number; flagged: number } };
};

async function suggest(): Promise<Suggestion> {
  const result = await server.request<{ suggestScoringModel: Suggestion }, unknown>(
    `query ($input: SuggestScoringModelInput!) { suggestScoringModel(input: $input) {
       samples positives weights { name weight } current { snapshots falseAlarms { nonChurners flagged } } } }`,
    { input: GRID },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.suggestScoringModel;
}

it('leaves out of the fit the snapshots of an account churned by silence, as the report counts none of them as a flag', async () => {
  const suggestion = await suggest();
  // The report counts the silent account as a non-churner never flagged.
  expect(suggestion.current.falseAlarms).toEqual({ nonChurners: 7, flagged: 0 });
  // Every horizon has elapsed: the fit reads every snapshot but the silent account's twelve.
  expect(suggestion.samples).toBe(suggestion.current.snapshots - 12);
  // The churners went quiet before they left: silence is what foresaw them.
  const weight = Object.fromEntries(suggestion.weights.map((w) => [w.name, w.weight]));
  expect(weight.silence).toBeGreaterThan(0);
}, 60_000);

it('names why there is nothing to fit on: no account yet, no horizon elapsed, or only snapshots the fit leaves out', async () => {
  const refusal = async (input: Record<string, unknown>) => {
    const result = await server.request('query ($input: SuggestScoringModelInput!) { suggestScoringModel(input: $input) { samples } }', {
      input,
    });
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'from' });
    return result.errors![0].message;
  };
  // Before any account signed up.
  expect(await refusal({ from: daysAgo(400, 0), to: daysAgo(300, 0) })).toBe(
    'no account was a customer at any instant of from…to: nothing to fit on',
  );
  // Every snapshot less than its horizon ago.
  expect(await refusal({ from: daysAgo(20, 0), to: daysAgo(6, 0), horizonDays: 30 })).toMatch(
    /^no snapshot of from…to has its horizon \(30 days after it\) elapsed by now: nothing to fit on/,
  );
  // The accounts' first weeks: every one onboarding.
  expect(await refusal({ from: daysAgo(209, 0), to: daysAgo(196, 0), horizonDays: 1 })).toMatch(
    /^every snapshot of from…to whose horizon has elapsed is of an account onboarding or churned by silence/,
  );
}, 60_000);
