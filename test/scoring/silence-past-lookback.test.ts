// A silence longer than the silence signal's lookback (180 days) is at least that long, not no
// silence: through the public API, as an outside examiner found it, it may not read healthy, nor be
// published as an improvement. An account never used has no silence measured, whatever its age:
// missing data alone puts no account in a bad tier (issue 12), as when its history arrives later.
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

it('reads an account never used as unobserved, not silent, whatever its age: in no bad tier, not on the worklist, no outreach', async () => {
  await upsert('cust_never_used', T - 100 * DAY);
  await upsert('cust_never_used_40', T - 40 * DAY);
  await upsert('cust_never_used_young', T - 20 * DAY);

  const churned = await score('cust_never_used');
  expect(churned.customer.lifecycleStage).toBe('CHURNED');
  const fortyDays = await score('cust_never_used_40');
  const young = await score('cust_never_used_young');
  expect(fortyDays.customer.lifecycleStage).toBe('ONBOARDING');
  expect(young.customer.lifecycleStage).toBe('ONBOARDING');
  for (const unused of [churned, fortyDays, young]) {
    expect(['healthy', 'monitor']).toContain(unused.tier);
    expect(signal(unused, 'silence')).toMatchObject({ rawValue: null, missing: true });
    expect(penalty(unused, 'long_silence').applied).toBe(false);
  }
  const listed = await server.gql<{ worklist: { edges: Array<{ node: { id: string } }> }; outreachLog: { totalCount: number } }, unknown>(
    '{ worklist(first: 50) { edges { node { id } } } outreachLog(customerId: "cust_never_used_40", first: 1) { totalCount } }',
  );
  expect(listed.worklist.edges.map((e) => e.node.id)).not.toEqual(expect.arrayContaining(['cust_never_used_40']));
  expect(listed.worklist.edges.map((e) => e.node.id)).not.toContain('cust_never_used');
  expect(listed.outreachLog.totalCount).toBe(0);
});
