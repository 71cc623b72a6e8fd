// Lifecycle through the public API: an account silent for more than the churn window (60 days) is
// CHURNED, whether its start is a signup date or, without one, its first recorded signal.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

beforeAll(async () => {
  server = await startTestServer({ label: 'churned_silence', env: { RESCORE_DEBOUNCE_MS: '0' } });
}, 60_000);
afterAll(() => server.stop());

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

async function stageAfterScoring(customerId: string): Promise<string> {
  const scored = await ok<{ refreshHealthScore: { customer: { lifecycleStage: string } } }>(
    'mutation($id: ID!) { refreshHealthScore(customerId: $id) { customer { lifecycleStage } } }',
    { id: customerId },
  );
  return scored.refreshHealthScore.customer.lifecycleStage;
}

async function answerSurvey(customerId: string, respondedAt: string): Promise<void> {
  await ok('mutation($input: NpsResponseInput!) { submitNpsResponse(input: $input) { id } }', {
    input: { customerId, score: 9, respondedAt },
  });
}

it('churns an account first seen 90 days ago and never used, with or without a signup date', async () => {
  await ok('mutation { upsertCustomer(input: { id: "c_signed", name: "Signed" }) { id } }');
  await ok('mutation($at: DateTime!) { upsertCustomer(input: { id: "c_signed", name: "Signed", signedUpAt: $at }) { id } }', {
    at: daysAgo(90),
  });
  await ok('mutation { upsertCustomer(input: { id: "c_unsigned", name: "Unsigned" }) { id } }');
  for (const id of ['c_signed', 'c_unsigned']) await answerSurvey(id, daysAgo(90));

  expect(await stageAfterScoring('c_signed')).toBe('CHURNED');
  expect(await stageAfterScoring('c_unsigned')).toBe('CHURNED');
});

it('churns an account without a signup date whose last activity lies beyond the scoring windows', async () => {
  await ok('mutation { upsertCustomer(input: { id: "c_long_gone", name: "Long gone" }) { id } }');
  const events = Array.from({ length: 10 }, (_, i) => ({
    customerId: 'c_long_gone',
    eventType: 'login',
    userId: 'u1',
    occurredAt: daysAgo(200 + i),
  }));
  const batch = await ok<{ trackEngagementBatch: { accepted: number } }>(
    'mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }',
    { events },
  );
  expect(batch.trackEngagementBatch.accepted).toBe(10);

  expect(await stageAfterScoring('c_long_gone')).toBe('CHURNED');
});

it('keeps a young account without a signup date and without activity in onboarding', async () => {
  await ok('mutation { upsertCustomer(input: { id: "c_young", name: "Young" }) { id } }');
  await answerSurvey('c_young', daysAgo(10));

  expect(await stageAfterScoring('c_young')).toBe('ONBOARDING');
});
