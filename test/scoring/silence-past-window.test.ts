// A silence only deepens, also once it is longer than the windows the silence flags and the trend
// signals read: through the public API, as an outside examiner found it, a silent account's score
// climbed back (IMPROVING) past 60 days as `lapsing` lifted, and its coverage fell below
// minCoverage as the trend signals went from held back to missing. With the default model (whose
// lifecycle churns the account at 60 days, though its history and trend still show it) and with one
// that keeps it for 120.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
// A fixed instant a few minutes back, so that scoring at it is no future.
const T = Date.now() - 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
// The last event, 100 days before T: daily logins by one person for the 66 days before it.
const LAST = T - 100 * DAY;

interface Scored {
  refreshHealthScore: {
    score: number;
    tier: string;
    trend: string;
    coverage: number;
    signals: Array<{ name: string; missing: boolean }>;
    penalties: Array<{ name: string; applied: boolean }>;
  };
}

async function score(customerId: string, asOf: number): Promise<Scored['refreshHealthScore']> {
  const scored = await server.gql<Scored, Record<string, unknown>>(
    `mutation($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) {
       score tier trend coverage signals { name missing } penalties { name applied } } }`,
    { id: customerId, asOf: iso(asOf) },
  );
  return scored.refreshHealthScore;
}

async function lapsedAccount(id: string): Promise<void> {
  await server.gql('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id, name: id, signedUpAt: iso(LAST - 70 * DAY) },
  });
  const events = Array.from({ length: 66 }, (_, d) => ({
    customerId: id,
    eventType: 'login',
    userId: 'u1',
    occurredAt: iso(LAST - d * DAY),
  }));
  await server.gql('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
}

/** Scores the account 50, 61, 75 and 100 days into its silence, and checks it only deepens. */
async function expectSilenceOnlyDeepens(id: string, minCoverage: number): Promise<void> {
  await lapsedAccount(id);
  const points = [];
  for (const silentDays of [50, 61, 75, 100]) points.push({ silentDays, ...(await score(id, LAST + silentDays * DAY)) });
  for (let i = 1; i < points.length; i++) {
    const [before, after] = [points[i - 1], points[i]];
    expect([after.silentDays, after.score <= before.score, after.trend]).toEqual([
      after.silentDays,
      true,
      expect.not.stringMatching('IMPROVING'),
    ]);
  }
  for (const point of points) {
    expect([point.silentDays, point.tier, point.coverage >= minCoverage]).toEqual([point.silentDays, 'critical', true]);
    const applied = point.penalties.filter((p) => p.applied).map((p) => p.name);
    expect([point.silentDays, applied]).toEqual([point.silentDays, expect.arrayContaining(['long_silence', 'lapsing'])]);
    // The usage trends are held back by the silence, not missing: the account's use was observed.
    const missing = point.signals.filter((s) => s.missing && ['active_days_trend', 'active_users_trend'].includes(s.name));
    expect([point.silentDays, missing.map((s) => s.name)]).toEqual([point.silentDays, []]);
  }
}

beforeAll(async () => {
  server = await startTestServer({ label: 'silence_window', env: { RESCORE_DEBOUNCE_MS: '0' } });
}, 60_000);
afterAll(() => server.stop());

it('keeps a silent account sinking past 60 days with the default model: lapsing stays, coverage holds, no IMPROVING', async () => {
  await expectSilenceOnlyDeepens('cust_lapsed_default', 0.6);
});

it('keeps a silent account sinking past 60 days with a model that churns at 120 days', async () => {
  const current = await server.gql<{ scoringModel: { config: { lifecycle: Record<string, unknown> } } }, unknown>(
    '{ scoringModel { config } }',
  );
  const config = current.scoringModel.config;
  config.lifecycle = { ...config.lifecycle, churnWindowDays: 120 };
  await server.gql('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
  await expectSilenceOnlyDeepens('cust_lapsed_120', config.lifecycle.minCoverage as number);
});
