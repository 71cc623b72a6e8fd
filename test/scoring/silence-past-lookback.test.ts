// A silence longer than the silence signal's lookback (180 days) is at least that long, not no
// silence; and an account never used is silent since its start once past its first 30 days. Both
// through the public API, as an outside examiner found them: neither may read healthy, nor be
// published as an improvement.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
// A fixed instant a few minutes back, so that scoring a few minutes after it is still no future.
const T = Date.now() - 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Scored {
  refreshHealthScore: {
    score: number;
    tier: string;
    coverage: number;
    signals: Array<{ name: string; rawValue: number | null; missing: boolean }>;
    penalties: Array<{ name: string; applied: boolean }>;
    customer: { lifecycleStage: string };
  };
}

async function score(customerId: string, asOf?: number): Promise<Scored['refreshHealthScore']> {
  const scored = await server.gql<Scored, Record<string, unknown>>(
    `mutation($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) {
       score tier coverage signals { name rawValue missing } penalties { name applied } customer { lifecycleStage } } }`,
    { id: customerId, asOf: asOf === undefined ? null : iso(asOf) },
  );
  return scored.refreshHealthScore;
}

async function upsert(id: string, signedUpAt: number): Promise<void> {
  await server.gql('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id, name: id, signedUpAt: iso(signedUpAt), arrCents: 8_000_000 },
  });
}

const signal = (result: Scored['refreshHealthScore'], name: string) => result.signals.find((s) => s.name === name)!;
const penalty = (result: Scored['refreshHealthScore'], name: string) => result.penalties.find((p) => p.name === name)!;

beforeAll(async () => {
  server = await startTestServer({ label: 'silence_lookback', env: { RESCORE_DEBOUNCE_MS: '0' } });
}, 60_000);
afterAll(() => server.stop());

it('keeps an account silent for longer than the lookback as silent as the lookback: no jump to healthy, no improvement recorded', async () => {
  await upsert('cust_long_gone', T - 300 * DAY);
  // Daily use by three people for 70 days, the last event 180 days less 90 seconds before T.
  const events = Array.from({ length: 70 }, (_, d) => ({
    customerId: 'cust_long_gone',
    eventType: 'login',
    userId: `u${d % 3}`,
    occurredAt: iso(T - 180 * DAY + 90_000 - d * DAY),
  }));
  await server.gql('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });

  const within = await score('cust_long_gone', T);
  expect(within).toMatchObject({ tier: 'critical', customer: { lifecycleStage: 'CHURNED' } });
  // Three minutes later the last activity is past the lookback; then live, minutes later still.
  const past = await score('cust_long_gone', T + 3 * 60_000);
  const live = await score('cust_long_gone');
  for (const later of [past, live]) {
    expect(later).toMatchObject({ tier: 'critical', customer: { lifecycleStage: 'CHURNED' } });
    expect(later.score).toBeLessThanOrEqual(within.score);
    expect(later.coverage).toBe(within.coverage);
    expect(signal(later, 'silence')).toMatchObject({ rawValue: 180, missing: false });
    expect(penalty(later, 'long_silence').applied).toBe(true);
  }
  const changes = await server.gql<{ tierChanges: { edges: Array<{ node: { direction: string } }> } }, unknown>(
    '{ tierChanges(customerId: "cust_long_gone", first: 20) { edges { node { direction } } } }',
  );
  expect(changes.tierChanges.edges.map((e) => e.node.direction)).not.toContain('IMPROVED');
});

it('reads an account never used as silent since its start past its first 30 days, not healthy; a younger one stays healthy and ONBOARDING', async () => {
  await upsert('cust_never_used', T - 100 * DAY);
  await upsert('cust_never_used_40', T - 40 * DAY);
  await upsert('cust_never_used_young', T - 20 * DAY);

  const churned = await score('cust_never_used');
  expect(churned.customer.lifecycleStage).toBe('CHURNED');
  expect(churned.tier).not.toBe('healthy');
  expect(signal(churned, 'silence').rawValue).toBeCloseTo(100, 1);
  expect(penalty(churned, 'long_silence').applied).toBe(true);

  // Past its onboarding, never used: a measured silence, on the worklist as any account at risk.
  const unused = await score('cust_never_used_40');
  expect(['at_risk', 'critical']).toContain(unused.tier);
  expect(unused.customer.lifecycleStage).toBe('AT_RISK');
  const worklist = await server.gql<{ worklist: { edges: Array<{ node: { id: string } }> } }, unknown>(
    '{ worklist(first: 50) { edges { node { id } } } }',
  );
  expect(worklist.worklist.edges.map((e) => e.node.id)).toContain('cust_never_used_40');

  // In its first 30 days, not yet used is no silence: missing data alone puts no new account at risk.
  const young = await score('cust_never_used_young');
  expect(young).toMatchObject({ tier: 'healthy', customer: { lifecycleStage: 'ONBOARDING' } });
  expect(signal(young, 'silence')).toMatchObject({ rawValue: null, missing: true });
  expect(worklist.worklist.edges.map((e) => e.node.id)).not.toContain('cust_never_used_young');
});
