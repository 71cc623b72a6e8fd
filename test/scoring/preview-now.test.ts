// The what-if preview compares two scorings at the same instant: the active model's and the proposed
// one's, from the same metrics and the same latest score. A tier that time alone has changed since
// the last stored scoring is no change the proposed config makes, and a customer never scored is
// counted on both sides.
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const today = Math.floor(Date.now() / DAY) * DAY;
const daysAgo = (days: number, hour = 12) => new Date(today - days * DAY + hour * 3_600_000).toISOString();

/** Three users on three features every day from 120 days ago up to `lastDay` days ago. */
function dailyUse(customerId: string, lastDay: number) {
  const events = [];
  for (let day = 120; day >= lastDay; day--) {
    for (let user = 0; user < 3; user++) {
      events.push({
        customerId,
        eventType: 'feature_used',
        feature: `f${(day + user) % 3}`,
        userId: `${customerId}_u${user}`,
        occurredAt: daysAgo(day, 8 + user),
      });
    }
  }
  return events;
}

// Largest ARR first: the account gone silent since its last stored score, a steady one, one never scored.
const FADED = 'cust_pv_faded';
const STEADY = 'cust_pv_steady';
const NEVER_SCORED = 'cust_pv_never';

interface Preview {
  current: Array<{ tier: string; count: number }>;
  proposed: Array<{ tier: string; count: number }>;
  changed: number;
  changes: Array<{ customerId: string; arrCents: number; fromTier: string | null; fromScore: number; toTier: string; toScore: number }>;
}

async function preview(config: unknown): Promise<Preview> {
  const result = await server.request<{ previewScoringModel: Preview }, unknown>(
    `query ($config: JSON!) { previewScoringModel(config: $config, first: 10) {
       current { tier count } proposed { tier count } changed changes { customerId arrCents fromTier fromScore toTier toScore } } }`,
    { config },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.previewScoringModel;
}

async function storedTier(customerId: string): Promise<string | null> {
  const [row] = await sql<{ tier: string | null }>(server.database, 'select tier from customer where id = $1', [customerId]);
  return row.tier;
}

async function rowCounts(): Promise<number[]> {
  const [row] = await sql<Record<string, number>>(
    server.database,
    `select (select count(*)::int from health_score) a, (select count(*)::int from tier_change) b, (select count(*)::int from outreach_action) c`,
  );
  return Object.values(row);
}

const activeConfig = async () =>
  (await server.request<{ scoringModel: { config: Record<string, unknown> } }, unknown>('{ scoringModel { config } }')).data!.scoringModel
    .config;

beforeAll(async () => {
  server = await startTestServer({ label: 'preview-now', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const [id, arrCents] of [
    [FADED, 3_000_000],
    [STEADY, 2_000_000],
    [NEVER_SCORED, 1_000_000],
  ] as const) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(130), arrCents } });
  }
  const events = [...dailyUse(FADED, 10), ...dailyUse(STEADY, 0), ...dailyUse(NEVER_SCORED, 0)];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  // The last stored scores are nine days old: the faded account had been silent a day then.
  for (const id of [FADED, STEADY]) {
    const scored = await server.request(
      'mutation ($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) { tier } }',
      {
        id,
        asOf: daysAgo(9),
      },
    );
    expect(scored.errors).toBeUndefined();
  }
  expect([await storedTier(FADED), await storedTier(STEADY), await storedTier(NEVER_SCORED)]).toEqual(['healthy', 'healthy', null]);
}, 60_000);
afterAll(() => server.stop());

it('changes no one when the active model is previewed, however old the stored scores, counting a customer never scored on both sides', async () => {
  const before = await rowCounts();
  const same = await preview(await activeConfig());
  expect(same.changed).toBe(0);
  expect(same.changes).toEqual([]);
  expect(same.proposed).toEqual(same.current);
  expect(same.current.reduce((n, t) => n + t.count, 0)).toBe(3);
  expect(await rowCounts()).toEqual(before);
});

it('lists the changes the config makes, largest ARR first, each from the tier the active model gives now', async () => {
  const config = {
    ...(await activeConfig()),
    // Every band's bound raised: a top account must score 100, so every one of the three moves to "rest".
    // A band of a perfect score alone leaves room for no tier hysteresis (validateModel).
    hysteresis: 0,
    tiers: [
      { key: 'top', label: 'Top', lowerBound: 100, severity: 0 },
      { key: 'rest', label: 'Rest', lowerBound: 0, severity: 1 },
    ],
    playbooks: [],
  };
  const moved = await preview(config);
  expect(moved.changed).toBe(3);
  expect(moved.changes.map((c) => [c.customerId, c.arrCents, c.toTier])).toEqual([
    [FADED, 3_000_000, 'rest'],
    [STEADY, 2_000_000, 'rest'],
    [NEVER_SCORED, 1_000_000, 'rest'],
  ]);
  expect(moved.proposed).toEqual([
    { tier: 'top', count: 0 },
    { tier: 'rest', count: 3 },
  ]);
  const fromTiers = Object.fromEntries(moved.changes.map((c) => [c.customerId, c.fromTier]));
  // Scored now, the active model has moved the faded account out of the healthy tier its stored
  // score holds (time alone did that): the preview's "from" is that tier, and so is the next scoring's.
  const refreshed = await server.request('mutation { refreshAllHealthScores { status } }');
  expect(refreshed.errors).toBeUndefined();
  expect(await storedTier(FADED)).not.toBe('healthy');
  expect(fromTiers).toEqual({ [FADED]: await storedTier(FADED), [STEADY]: 'healthy', [NEVER_SCORED]: await storedTier(NEVER_SCORED) });
  expect(moved.current.find((t) => t.tier === 'healthy')?.count).toBe(2);
  // Only the tiers differ: each move keeps its score, the one the active model gives now (stored by the run).
  const [faded] = await sql<{ score: number }>(server.database, 'select health_score as score from customer where id = $1', [FADED]);
  expect(moved.changes.find((c) => c.customerId === FADED)?.fromScore).toBe(faded.score);
  for (const change of moved.changes) expect(change.fromScore).toBe(change.toScore);
});

it('counts the tiers as healthSummary does: an account churned by its silence keeps a tier but is in none', async () => {
  // Signed up long ago and never heard from: scored with no data, so in a tier, and CHURNED by silence.
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_pv_silent', name: 'Silent', signedUpAt: daysAgo(700), arrCents: 500_000 },
  });
  expect((await server.request('mutation { refreshAllHealthScores { status } }')).errors).toBeUndefined();
  const [silent] = await sql<{ tier: string | null; stage: string }>(
    server.database,
    `select tier, lifecycle_stage as stage from customer where id = 'cust_pv_silent'`,
  );
  expect(silent.tier).not.toBeNull();
  expect(silent.stage).toBe('CHURNED');
  const summary = await server.request<{ healthSummary: { tiers: Array<{ tier: string; count: number }> } }, unknown>(
    '{ healthSummary { tiers { tier count } } }',
  );
  const same = await preview(await activeConfig());
  expect(same.current).toEqual(summary.data!.healthSummary.tiers);
  expect(same.proposed).toEqual(same.current);
});

it('lists no move for an account churned by its silence under both models, whose tiers count for neither', async () => {
  // The same bands under other keys: every account still to keep moves (its tier's key changes), the
  // silent one (above) is in no tier under either and is no move.
  const config = await activeConfig();
  const renamed = {
    ...config,
    tiers: (config.tiers as Array<{ key: string }>).map((tier) => ({ ...tier, key: `${tier.key}_renamed` })),
    playbooks: [],
  };
  const moved = await preview(renamed);
  expect(moved.changes.map((c) => c.customerId)).not.toContain('cust_pv_silent');
  expect(moved.changed).toBe(3);
});
