// Activating a model version rescores everyone in the background, so tiers, summaries and the
// worklist agree with the model now active; the presets are listed for the asking.
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

async function ok<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const result = await server.request<T, Record<string, unknown>>(query, variables);
  expect(result.errors).toBeUndefined();
  return result.data as T;
}

beforeAll(async () => {
  // The scheduler on (hourly runs), continuous rescoring off: only the activation runs anything.
  server = await startTestServer({ label: 'model_activation', env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } });
  await server.app.scheduler.idle();
  for (const id of ['cust_act_1', 'cust_act_2', 'cust_act_3']) {
    await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(120)}" }) { id } }`);
  }
  await ok('mutation { refreshAllHealthScores { status } }');
});
afterAll(() => server.stop());

it('lists every tier preset, the default one marked', async () => {
  const data = await ok<{ scoringModelPresets: Array<{ name: string; isDefault: boolean; tiers: Array<{ key: string }> }> }>(
    '{ scoringModelPresets { name isDefault tiers { key } } }',
  );
  expect(data.scoringModelPresets.map((p) => [p.name, p.isDefault])).toEqual([
    ['four_tier', true],
    ['three_tier', false],
    ['five_band_thriving', false],
    ['five_band_stable', false],
  ]);
  expect(data.scoringModelPresets[2].tiers.map((t) => t.key)).toEqual(['thriving', 'healthy', 'at_risk', 'churning', 'critical']);
});

it('rescores everyone in the background when a model version is activated', async () => {
  await ok('mutation { updateScoringModel(input: { tierPreset: "five_band_stable" }) { version } }');
  await server.app.scheduler.idle();
  const summary = await ok<{ healthSummary: { tiers: Array<{ tier: string; count: number }> } }>(
    '{ healthSummary { tiers { tier count } } }',
  );
  expect(summary.healthSummary.tiers.map((t) => t.tier)).toEqual(['healthy', 'stable', 'watch', 'at_risk', 'critical']);
  expect(summary.healthSummary.tiers.reduce((n, t) => n + t.count, 0)).toBe(3);
  const latest = await ok<{ healthScores: { edges: Array<{ node: { modelVersion: number } }> } }>(
    '{ healthScores { edges { node { modelVersion } } } }',
  );
  expect(latest.healthScores.edges.map((e) => e.node.modelVersion)).toEqual([2, 2, 2]);
});

it('runs no playbook for a tier that only the model change moved (no tier change or score drop across models)', async () => {
  // A steady, busy account: scored healthy under the default model.
  const events = Array.from({ length: 90 }, (_, day) => ({
    customerId: 'cust_act_steady',
    eventType: 'login',
    userId: `u${day % 3}`,
    occurredAt: daysAgo(day + 0.5),
  }));
  await ok(`mutation { upsertCustomer(input: { id: "cust_act_steady", name: "Steady", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
  const scored = await ok<{ customer: { healthScore: number; tier: string } }>('{ customer(id: "cust_act_steady") { healthScore tier } }');
  expect(scored.customer.tier).toBe('healthy');
  // The same signals, a model whose "healthy" starts just above this score: the account is now in
  // "monitor", which has a playbook (no hysteresis to keep it healthy). Its score did not move, so
  // nothing fires.
  const { scoringModel } = await ok<{ scoringModel: { config: { tiers: Array<{ key: string; lowerBound: number }> } } }>(
    '{ scoringModel { config } }',
  );
  const bounds: Record<string, number> = { healthy: scored.customer.healthScore + 1, monitor: 2, at_risk: 1, critical: 0 };
  const tiers = scoringModel.config.tiers.map((band) => ({ ...band, lowerBound: bounds[band.key] }));
  const before = await ok<{ outreachLog: { totalCount: number } }>('{ outreachLog(customerId: "cust_act_steady") { totalCount } }');
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', {
    config: { ...scoringModel.config, tiers, hysteresis: 0 },
  });
  await server.app.scheduler.idle();
  const moved = await ok<{ customer: { healthScore: number; tier: string; trend: string } }>(
    '{ customer(id: "cust_act_steady") { healthScore tier trend } }',
  );
  expect(moved.customer).toMatchObject({ healthScore: scored.customer.healthScore, tier: 'monitor', trend: 'STABLE' });
  const after = await ok<{ outreachLog: { totalCount: number } }>('{ outreachLog(customerId: "cust_act_steady") { totalCount } }');
  expect(after.outreachLog.totalCount).toBe(before.outreachLog.totalCount);
});
