// A tier preset changes where a score is placed, not the score: the activation rescores everyone
// (their tiers change), but the trend and the score-drop trigger go on comparing scores across it,
// so a declining account stays DECLINING and a fall the day after is a drop.
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { busyDays, daysAgo } from '../helpers/busy-account';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

/** The default model with a red flag of 20 points an open ticket (at most 80): each account falls as far as its tickets take it. */
const MODEL = {
  ...DEFAULT_SCORING_MODEL,
  penalties: [
    ...DEFAULT_SCORING_MODEL.penalties,
    {
      name: 'open_tickets',
      metric: 'open_tickets',
      windowDays: 30,
      direction: 'at_least',
      threshold: 1,
      points: 20,
      perUnit: true,
      maxPoints: 80,
    },
  ],
};

/** A busy account, healthy when scored ten days ago: the point the trend and the drop window compare with. */
async function healthyTenDaysAgo(id: string): Promise<number> {
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events: busyDays(id) });
  const { refreshHealthScore } = await ok<{ refreshHealthScore: { score: number; tier: string } }>(
    `mutation { refreshHealthScore(customerId: "${id}", asOf: "${daysAgo(10)}") { score tier } }`,
  );
  expect(refreshHealthScore.tier).toBe('healthy');
  return refreshHealthScore.score;
}

async function openTickets(id: string, count: number): Promise<void> {
  for (let n = 1; n <= count; n++) {
    await ok(
      `mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "t${n}", openedAt: "${daysAgo(1)}", status: OPEN, severity: LOW }) { id } }`,
    );
  }
}

const scoreNow = async (id: string) =>
  (
    await ok<{ refreshHealthScore: { score: number; tier: string; trend: string } }>(
      `mutation { refreshHealthScore(customerId: "${id}") { score tier trend } }`,
    )
  ).refreshHealthScore;

const customer = async (id: string) =>
  (await ok<{ customer: { healthScore: number; tier: string; trend: string } }>(`{ customer(id: "${id}") { healthScore tier trend } }`))
    .customer;

const triggersSince = async (id: string, from: string) =>
  (
    await ok<{ outreachLog: { edges: Array<{ node: { playbook: string; trigger: string } }> } }>(
      `{ outreachLog(customerId: "${id}", from: "${from}") { edges { node { playbook trigger } } } }`,
    )
  ).outreachLog.edges.map((edge) => edge.node);

beforeAll(async () => {
  // The scheduler on (hourly runs), continuous rescoring off: only the activation runs anything.
  server = await startTestServer({ label: 'tier_preset_trend', env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } });
  await server.app.scheduler.idle();
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config: MODEL });
  await server.app.scheduler.idle();
});
afterAll(() => server.stop());

it('keeps the trend across a tier preset, which rescores everyone but computes the same scores', async () => {
  // Two accounts fallen within the week: one to critical, one to the second-worst tier of three.
  const critical = 'cust_preset_critical';
  const atRisk = 'cust_preset_at_risk';
  await healthyTenDaysAgo(critical);
  await healthyTenDaysAgo(atRisk);
  await openTickets(critical, 4);
  await openTickets(atRisk, 2);
  const before = await scoreNow(critical);
  expect(before).toMatchObject({ tier: 'critical', trend: 'DECLINING' });
  const fallen = await scoreNow(atRisk);
  expect(fallen.trend).toBe('DECLINING');
  expect(fallen.score).toBeGreaterThanOrEqual(40);
  expect(fallen.score).toBeLessThan(70);

  const activatedAt = new Date().toISOString();
  const { updateScoringModel } = await ok<{ updateScoringModel: { version: number } }>(
    'mutation { updateScoringModel(input: { tierPreset: "three_tier" }) { version } }',
  );
  await server.app.scheduler.idle();
  const current = await ok<{ scoringModel: { version: number } }>('{ scoringModel { version } }');
  expect(current.scoringModel.version).toBe(updateScoringModel.version);

  // Rescored under the new bands, the same score, still declining against its score of ten days ago.
  expect(await customer(critical)).toEqual({ healthScore: before.score, tier: 'critical', trend: 'DECLINING' });
  expect(await customer(atRisk)).toEqual({ healthScore: fallen.score, tier: 'at_risk', trend: 'DECLINING' });
  // In the second-worst tier of three and declining: its playbook runs. The tier it moved to is the
  // model's (no worsened tier), and a drop already alerted under the bands before is not alerted again.
  const triggers = await triggersSince(atRisk, activatedAt);
  expect(triggers).toContainEqual({ playbook: 'at_risk', trigger: 'AT_RISK_DECLINING' });
  expect(triggers.map((t) => t.trigger)).not.toContain('TIER_WORSENED');
  expect(triggers.map((t) => t.trigger)).not.toContain('SCORE_DROP');
  // Nor does the action name a tier before: its message's previousTier reads —, and the fromTier the
  // webhook's payload and an email's tierChange carry is not the other scheme's tier either.
  const logged = await ok<{ outreachLog: { edges: Array<{ node: { trigger: string; fromTier: string | null; toTier: string } }> } }>(
    `{ outreachLog(customerId: "${atRisk}", from: "${activatedAt}") { edges { node { trigger fromTier toTier } } } }`,
  );
  expect(logged.outreachLog.edges.length).toBeGreaterThan(0);
  for (const { node } of logged.outreachLog.edges)
    expect(node).toEqual({ trigger: 'AT_RISK_DECLINING', fromTier: null, toTier: 'at_risk' });
});

it('measures a fall the activation of a tier preset is the first to score against the points before it: a score drop, a decline', async () => {
  // Healthy ten days ago, and tickets opened since that no scoring has seen: the activation's run
  // is the first to score the fall, from a point the bands before placed.
  const dropping = 'cust_preset_dropping';
  const healthy = await healthyTenDaysAgo(dropping);
  await openTickets(dropping, 2);
  const activatedAt = new Date().toISOString();
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
  const fallen = await customer(dropping);
  expect(healthy - fallen.healthScore).toBeGreaterThanOrEqual(MODEL.scoreDrop.points);
  expect(fallen).toMatchObject({ tier: 'monitor', trend: 'DECLINING' });
  const triggers = await triggersSince(dropping, activatedAt);
  expect(triggers).toContainEqual({ playbook: 'monitor', trigger: 'SCORE_DROP' });
  expect(new Set(triggers.map((t) => t.trigger))).toEqual(new Set(['SCORE_DROP']));
});
