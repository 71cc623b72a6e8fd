// The built-in backtest, the fitted-weights suggestion and the what-if preview through the API, on
// a small labelled population: accounts that decline and churn, and steady ones that stay. None of
// them writes anything (no history, tier change, outreach or run) or publishes anything.
import { startTestServer, TestServer } from '../helpers/server';
import { connect, subscribe } from '../helpers/subscriptions';
import { OnTierChangedDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { sql } from '../helpers/database';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const today = Math.floor(now / DAY) * DAY;
const daysAgo = (days: number, hour = 12) => new Date(today - days * DAY + hour * 3_600_000).toISOString();

/**
 * Daily use by four users on five features from 160 days ago; a decliner fades from `declineAt`
 * days ago (one user on one feature, every third day unless it `keepsDays`) and cancels at `churnAt`.
 */
function account(id: string, options: { declineAt?: number; churnAt?: number; keepsDays?: boolean } = {}) {
  const events = [];
  for (let d = 160; d > (options.churnAt ?? 0); d--) {
    const declining = options.declineAt !== undefined && d <= options.declineAt;
    if (declining && !options.keepsDays && d % 3 !== 0) continue;
    const users = declining ? 1 : 4;
    for (let u = 0; u < users; u++) {
      events.push({
        customerId: id,
        eventType: 'feature_used',
        feature: `f${(d + u) % (declining ? 1 : 5)}`,
        userId: `${id}_u${u}`,
        occurredAt: daysAgo(d, 9 + u),
      });
    }
  }
  return events;
}

const STEADY = ['cust_bt_s1', 'cust_bt_s2', 'cust_bt_s3', 'cust_bt_s4', 'cust_bt_s5', 'cust_bt_s6'];
// The first is a champion left alone: it still comes daily.
const CHURNERS: Array<[string, number, number]> = [
  ['cust_bt_c1', 95, 35],
  ['cust_bt_c2', 85, 25],
  ['cust_bt_c3', 100, 40],
];
const GRID = { from: daysAgo(90, 0), to: daysAgo(7, 0), stepDays: 7, horizonDays: 30 };

async function rowCounts(): Promise<number[]> {
  const [row] = await sql<Record<string, number>>(
    server.database,
    `select (select count(*)::int from health_score) a, (select count(*)::int from tier_change) b, (select count(*)::int from outreach_action) c,
            (select count(*)::int from scoring_run) d, (select count(*)::int from scoring_model) e`,
  );
  return Object.values(row);
}

beforeAll(async () => {
  server = await startTestServer({ label: 'backtest', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const events = [];
  for (const id of STEADY) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(170), arrCents: 2_000_000 } });
    events.push(...account(id));
  }
  for (const [id, declineAt, churnAt] of CHURNERS) {
    await server.gql(UpsertCustomerDocument, {
      input: { id, name: id, signedUpAt: daysAgo(170), arrCents: 3_000_000, churnedAt: daysAgo(churnAt), churnReason: 'faded away' },
    });
    events.push(...account(id, { declineAt, churnAt, keepsDays: id === 'cust_bt_c1' }));
  }
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  // The default model is stored on first use; do that before counting rows.
  await server.request('{ scoringModel { version } }');
}, 60_000);
afterAll(() => server.stop());

const REPORT = `customers churners snapshots instants horizonDays modelVersion
  recall { leadDays churners flagged recall } precision { precision flaggedSnapshots truePositives }
  auc { leadDays auc positives negatives } leadTime { detected medianDays p25Days p75Days }
  falseAlarms { nonChurners flagged rate ratePer90Days } tierChurnRates { tierKey snapshots churned rate }`;

type Report = {
  customers: number;
  churners: number;
  snapshots: number;
  instants: number;
  modelVersion: number | null;
  recall: Array<{ leadDays: number; churners: number; flagged: number; recall: number | null }>;
  precision: { precision: number | null };
  auc: { auc: number | null; positives: number; negatives: number };
  leadTime: { detected: number; medianDays: number | null };
  falseAlarms: { nonChurners: number; flagged: number; rate: number | null };
  tierChurnRates: Array<{ tierKey: string; snapshots: number; churned: number; rate: number | null }>;
};

it('replays the default model over past weeks and sees the churners coming, writing and publishing nothing', async () => {
  const client = connect(server.wsUrl);
  const changes = await subscribe(client, OnTierChangedDocument, {});
  const before = await rowCounts();
  const result = await server.request<{ backtest: Report }, unknown>(
    `query ($input: BacktestInput!) { backtest(input: $input) { ${REPORT} } }`,
    { input: GRID },
  );
  expect(result.errors).toBeUndefined();
  const report = result.data!.backtest;
  expect(report).toMatchObject({ customers: 9, churners: 3, instants: 12, modelVersion: 1 });
  // The audit log names the model scored, the active one's version when none was given.
  const [audited] = await sql<{ details: { modelVersion: number | null } }>(
    server.database,
    `select details from audit_log where action = 'scoringModel.backtest' order by id desc limit 1`,
  );
  expect(audited.details.modelVersion).toBe(1);
  // Each churner is looked at only before its churn.
  expect(report.snapshots).toBe(6 * 12 + (8 + 10 + 8));
  // 7 days ahead, the two that also came on a third of their days are back in "monitor": that fell
  // 50 days before, and the usage flags fade as it becomes their usual level. team_shrinking, which
  // read their team against the 60 days until session 36, now needs the team thinner than in any
  // earlier fortnight to be raised, and by the time their days of use hold their usual rate again
  // (the flag's other condition) the earlier fortnights are as thin. The champion left alone, who
  // kept coming daily, was flagged for its team within weeks and stays flagged.
  expect(report.recall.map((r) => [r.leadDays, r.churners, r.flagged])).toEqual([
    [7, 3, 1],
    [14, 3, 3],
    [30, 3, 3],
  ]);
  expect(report.auc).toMatchObject({ auc: 1, positives: 3 });
  expect(report.falseAlarms).toMatchObject({ nonChurners: 6, flagged: 0, rate: 0 });
  expect(report.precision.precision).toBeGreaterThan(0.5);
  // Only the champion left alone is flagged at its last snapshot before it left (see above).
  expect(report.leadTime.detected).toBe(1);
  expect(report.leadTime.medianDays).toBeGreaterThanOrEqual(30);
  expect(report.tierChurnRates.map((t) => t.tierKey)).toEqual(['healthy', 'monitor', 'at_risk', 'critical']);
  expect(await rowCounts()).toEqual(before);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(changes.events).toHaveLength(0);
  await changes.close();
  await client.dispose();
});

it('backtests a stored version or a config given inline, and refuses what it cannot replay', async () => {
  const inline = await server.request<{ backtest: Report }, unknown>(
    `query ($input: BacktestInput!) { backtest(input: $input) { ${REPORT} } }`,
    {
      input: {
        ...GRID,
        model: {
          config: (await server.request<{ scoringModel: { config: unknown } }, unknown>('{ scoringModel { config } }')).data!.scoringModel
            .config,
        },
      },
    },
  );
  expect(inline.data!.backtest.modelVersion).toBeNull();
  expect(inline.data!.backtest.auc.auc).toBe(1);
  const refusals = [
    { ...GRID, to: new Date(now + 2 * DAY).toISOString() },
    { ...GRID, from: GRID.to, to: GRID.from },
    { ...GRID, stepDays: 0 },
    // 367 daily instants: one more than a year of them.
    { ...GRID, from: daysAgo(373, 0), stepDays: 1 },
    { ...GRID, horizonDays: 1000 },
    { ...GRID, model: { config: { components: [] } } },
    { ...GRID, model: { version: 1, config: {} } },
    { ...GRID, step: 14 },
  ];
  for (const input of refusals) {
    const refused = await server.request(`query ($input: BacktestInput!) { backtest(input: $input) { customers } }`, { input });
    expect([JSON.stringify(input).slice(0, 60), refused.errors?.[0].extensions?.code]).toEqual([
      JSON.stringify(input).slice(0, 60),
      'BAD_USER_INPUT',
    ]);
  }
  // `step`, issue 12's name for stepDays, is the same grid.
  const { stepDays, ...gridWithoutStepDays } = GRID;
  const byStep = await server.request<{ backtest: Report }, unknown>(
    `query ($input: BacktestInput!) { backtest(input: $input) { ${REPORT} } }`,
    {
      input: { ...gridWithoutStepDays, step: stepDays },
    },
  );
  const byStepDays = await server.request<{ backtest: Report }, unknown>(
    `query ($input: BacktestInput!) { backtest(input: $input) { ${REPORT} } }`,
    { input: GRID },
  );
  expect(byStep.data!.backtest).toEqual(byStepDays.data!.backtest);
  // A year of daily snapshots is within bounds (the accounts are looked at from their signup on).
  const daily = await server.request<{ backtest: Report }, unknown>(
    `query ($input: BacktestInput!) { backtest(input: $input) { ${REPORT} } }`,
    { input: { ...GRID, from: daysAgo(372, 0), stepDays: 1 } },
  );
  expect(daily.errors).toBeUndefined();
  expect(daily.data!.backtest).toMatchObject({ instants: 366, customers: 9 });
  // Daily snapshots see the same: every churner flagged 30 days ahead, no steady account ever.
  expect(daily.data!.backtest.recall.find((r) => r.leadDays === 30)).toMatchObject({ churners: 3, flagged: 3 });
  expect(daily.data!.backtest.falseAlarms).toMatchObject({ nonChurners: 6, flagged: 0 });
  expect(daily.data!.backtest.auc).toMatchObject({ auc: 1, positives: 3 });
  const unknown = await server.request(`query ($input: BacktestInput!) { backtest(input: $input) { customers } }`, {
    input: { ...GRID, model: { version: 99 } },
  });
  expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
});

it('refuses a config whose tiers are not a list with BAD_USER_INPUT naming the problem, in the backtest, the preview and the update', async () => {
  const active = (await server.request<{ scoringModel: { config: Record<string, unknown> } }, unknown>('{ scoringModel { config } }')).data!
    .scoringModel.config;
  const before = await rowCounts();
  for (const tiers of ['healthy', { healthy: 70 }]) {
    const config = { ...active, tiers };
    const answers = [
      await server.request('query ($input: BacktestInput!) { backtest(input: $input) { customers } }', {
        input: { ...GRID, model: { config } },
      }),
      await server.request('query ($config: JSON!) { previewScoringModel(config: $config) { changed } }', { config }),
      await server.request('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config }),
    ];
    for (const answer of answers) {
      expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(answer.errors?.[0].extensions?.problems).toContain('tiers must be a list');
    }
  }
  expect(await rowCounts()).toEqual(before);
});

it('suggests weights fitted to the labelled history, non-negative and summing to 100, with both backtests', async () => {
  const before = await rowCounts();
  const result = await server.request<
    {
      suggestScoringModel: {
        config: { components: Array<{ signals: Array<{ name: string; weight: number }> }> };
        weights: Array<{ name: string; weight: number; currentWeight: number }>;
        samples: number;
        positives: number;
        churners: number;
        warnings: string[];
        current: Report;
        suggested: Report;
      };
    },
    unknown
  >(
    `query ($input: SuggestScoringModelInput!) { suggestScoringModel(input: $input) {
       config weights { name weight currentWeight coefficient } samples positives churners warnings current { ${REPORT} } suggested { ${REPORT} } } }`,
    { input: GRID },
  );
  expect(result.errors).toBeUndefined();
  const suggestion = result.data!.suggestScoringModel;
  const total = suggestion.weights.reduce((sum, w) => sum + w.weight, 0);
  expect(total).toBeCloseTo(100, 0);
  expect(suggestion.weights.every((w) => w.weight >= 0)).toBe(true);
  expect(suggestion.positives).toBeGreaterThan(0);
  expect(suggestion.samples).toBeGreaterThan(suggestion.positives);
  // Three churned accounts are a thin basis for weights: the suggestion says so.
  expect(suggestion.churners).toBe(3);
  expect(suggestion.warnings[0]).toMatch(/^fitted to 3 churned accounts: too few/);
  // And it names what the fit gives up: every signal weighted now and 0 in the suggestion.
  const dropped = suggestion.weights.filter((w) => w.weight === 0 && w.currentWeight > 0).map((w) => w.name);
  expect(dropped.length).toBeGreaterThan(0);
  expect(suggestion.warnings[1]).toBe(
    `weight 0 for ${dropped.join(', ')}: the suggested score ignores ${dropped.length === 1 ? 'it' : 'them'}`,
  );
  // Here the churners faded slowly: silence is among them, and the promise it keeps is named.
  expect(dropped).toContain('silence');
  expect(suggestion.warnings.slice(2)).toEqual([
    expect.stringMatching(/^silence weighted 0: an account that goes silent would no longer drop a tier/),
  ]);
  const inConfig = Object.fromEntries(suggestion.config.components.flatMap((c) => c.signals).map((s) => [s.name, s.weight]));
  expect(inConfig).toEqual(Object.fromEntries(suggestion.weights.map((w) => [w.name, w.weight])));
  expect(suggestion.suggested.auc.auc).toBeGreaterThanOrEqual(0.9);
  expect(suggestion.current.snapshots).toBe(suggestion.suggested.snapshots);
  expect(await rowCounts()).toEqual(before);
  // Applying it is an explicit updateScoringModel, which accepts it as it is.
  const applied = await server.request<{ updateScoringModel: { version: number } }, unknown>(
    'mutation ($config: JSON) { updateScoringModel(input: { config: $config }) { version } }',
    { config: suggestion.config },
  );
  expect(applied.data?.updateScoringModel.version).toBe(2);
});

it('refuses to fit a history in which no signal tells the churners apart; runs two evaluations at once, queues eight, refuses more', async () => {
  // Two instants before any decline, past the accounts' onboarding (which the fit leaves out): every
  // account looks the same, though two churn within the horizon.
  const blank = await server.request('query ($input: SuggestScoringModelInput!) { suggestScoringModel(input: $input) { samples } }', {
    input: { from: daysAgo(120, 0), to: daysAgo(119, 0), stepDays: 1, horizonDays: 90 },
  });
  expect(blank.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(blank.errors?.[0].message).toMatch(/nothing to weight/);
  // The range to widen is what the refusal names.
  expect(blank.errors?.[0].extensions?.argument).toBe('from');
  // Daily backtests of the 180 days the accounts have been in use, in one request: two run at once,
  // eight more wait their turn, the rest is refused at once (admission is decided as each starts).
  const input = { from: daysAgo(180, 0), to: daysAgo(1, 0), stepDays: 1 };
  const aliases = (count: number) =>
    `query ($input: BacktestInput!) { ${Array.from({ length: count }, (_, i) => `b${i}: backtest(input: $input) { customers }`).join(' ')} }`;
  const queued = await server.request<Record<string, { customers: number }>, unknown>(aliases(3), { input });
  expect(queued.errors).toBeUndefined();
  expect(Object.values(queued.data!).map((report) => report.customers)).toEqual([9, 9, 9]);
  const crowded = await server.request<Record<string, { customers: number } | null>, unknown>(aliases(11), { input });
  expect(crowded.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
  // The ten admitted run to their end (GraphQL does not cancel a resolver); then a backtest is admitted at once again.
  let again = await server.request<{ backtest: { customers: number } }, unknown>(
    'query ($input: BacktestInput!) { backtest(input: $input) { customers } }',
    { input: GRID },
  );
  for (let tries = 0; again.errors && tries < 300; tries++) {
    expect(again.errors[0].extensions?.code).toBe('RATE_LIMITED');
    await new Promise((resolve) => setTimeout(resolve, 200));
    again = await server.request('query ($input: BacktestInput!) { backtest(input: $input) { customers } }', { input: GRID });
  }
  expect(again.data?.backtest.customers).toBe(9);
  // Thirteen daily backtests: a loaded machine (CI beside other work) took more than a minute.
}, 180_000);

it('previews the tiers a model would give now, and who would move, largest ARR first, never a churned account, writing nothing', async () => {
  // A customer bigger than the steady ones, in use as they are (never used since its sign-up 170 days
  // ago, it would be churned by its silence: in no tier, as healthSummary counts it); the churners
  // (bigger still) have left and are no one's to move.
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_bt_big', name: 'Big', signedUpAt: daysAgo(170), arrCents: 5_000_000 } });
  expect((await server.gql(TrackEngagementBatchDocument, { events: account('cust_bt_big') })).trackEngagementBatch.errors).toEqual([]);
  await server.request('mutation { refreshAllHealthScores { status } }');
  const before = await rowCounts();
  const strict = (
    await server.request<{ scoringModel: { config: { tiers: Array<{ key: string; lowerBound: number }> } } }, unknown>(
      '{ scoringModel { config } }',
    )
  ).data!.scoringModel.config;
  // Every band's bound raised: a healthy account must now score 101… so nobody is healthy.
  const config = {
    ...strict,
    // A band of a perfect score alone leaves room for no tier hysteresis (validateModel).
    hysteresis: 0,
    tiers: [
      { key: 'top', label: 'Top', lowerBound: 100, severity: 0 },
      { key: 'rest', label: 'Rest', lowerBound: 0, severity: 1 },
    ],
    playbooks: [],
  };
  const result = await server.request<
    {
      previewScoringModel: {
        current: Array<{ tier: string; count: number }>;
        proposed: Array<{ tier: string; count: number }>;
        changed: number;
        changes: Array<{ customerId: string; arrCents: number; toTier: string }>;
      };
    },
    unknown
  >(
    'query ($config: JSON!) { previewScoringModel(config: $config, first: 3) { current { tier count } proposed { tier count } changed changes { customerId arrCents fromTier toTier toScore } } }',
    {
      config,
    },
  );
  expect(result.errors).toBeUndefined();
  const preview = result.data!.previewScoringModel;
  expect(preview.current.reduce((n, t) => n + t.count, 0)).toBe(7);
  expect(preview.proposed.reduce((n, t) => n + t.count, 0)).toBe(7);
  expect(preview.proposed.map((t) => t.tier)).toEqual(['top', 'rest']);
  expect(preview.changed).toBe(7);
  expect(preview.changes.map((c) => c.arrCents)).toEqual([5_000_000, 2_000_000, 2_000_000]);
  // The changes page on: four at a time, each page after the last one's cursor, add up to all nine in order.
  const page = async (after: string | null) =>
    (
      await server.request<
        {
          previewScoringModel: {
            changes: Array<{ customerId: string }>;
            changesPageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
        },
        unknown
      >(
        'query ($config: JSON!, $after: String) { previewScoringModel(config: $config, first: 4, after: $after) { changes { customerId } changesPageInfo { hasNextPage endCursor } } }',
        { config, after },
      )
    ).data!.previewScoringModel;
  const pages = [await page(null)];
  // Bounded: a cursor that did not move on would otherwise page forever.
  while (pages.at(-1)!.changesPageInfo.hasNextPage && pages.length < 5) pages.push(await page(pages.at(-1)!.changesPageInfo.endCursor));
  expect(pages.map((p) => p.changes.length)).toEqual([4, 3]);
  // An empty cursor is none, as in every list: the first page.
  expect(await page('')).toEqual(pages[0]);
  const all = await server.request<{ previewScoringModel: { changes: Array<{ customerId: string }> } }, unknown>(
    'query ($config: JSON!) { previewScoringModel(config: $config, first: 500) { changes { customerId } } }',
    { config },
  );
  const listed = pages.flatMap((p) => p.changes.map((c) => c.customerId));
  expect(listed).toEqual(all.data!.previewScoringModel.changes.map((c) => c.customerId));
  expect(listed.filter((id) => CHURNERS.some(([churner]) => churner === id))).toEqual([]);
  const refused = await server.request('query ($config: JSON!) { previewScoringModel(config: $config, after: "nonsense") { changed } }', {
    config,
  });
  expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  // Refused as every list's `first` is: the same message, and the largest page in `extensions.max`.
  for (const first of [0, 501]) {
    const refusedSize = await server.request(
      'query ($config: JSON!, $first: Int) { previewScoringModel(config: $config, first: $first) { changed } }',
      {
        config,
        first,
      },
    );
    expect(refusedSize.errors?.map(({ message, extensions }) => ({ message, extensions }))).toEqual([
      { message: 'first must be between 1 and 500', extensions: { code: 'BAD_USER_INPUT', argument: 'first', max: 500 } },
    ]);
  }
  expect(await rowCounts()).toEqual(before);
});

it('looks at a customer without a known signup from its first recorded signal, as a scoring run does, and at nothing before', async () => {
  const backtest = async () =>
    (
      await server.request<{ backtest: Report }, unknown>(`query ($input: BacktestInput!) { backtest(input: $input) { ${REPORT} } }`, {
        input: GRID,
      })
    ).data!.backtest;
  const scoreAt = (customerId: string, asOf: string) =>
    server.request<{ refreshHealthScore: { asOf: string; tier: string } }, unknown>(
      'mutation ($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) { asOf tier } }',
      { id: customerId, asOf },
    );
  const before = await backtest();
  // Created today without a signup date, nothing recorded: it did not exist at any past instant.
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_bt_unknown', name: 'Nothing known', arrCents: 2_000_000 } });
  expect((await backtest()).snapshots).toBe(before.snapshots);
  const refused = await scoreAt('cust_bt_unknown', '1971-01-01T00:00:00Z');
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'asOf' });
  expect(refused.errors?.[0].message).toMatch(/give signedUpAt/);
  // Created today without a signup date, its history imported: it starts at its first event (160 days ago).
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_bt_imported', name: 'Imported', arrCents: 2_000_000 } });
  expect((await server.gql(TrackEngagementBatchDocument, { events: account('cust_bt_imported') })).trackEngagementBatch.errors).toEqual([]);
  const after = await backtest();
  expect([after.customers, after.snapshots]).toEqual([before.customers + 1, before.snapshots + before.instants]);
  expect(after.falseAlarms).toMatchObject({ nonChurners: before.falseAlarms.nonChurners + 1, flagged: before.falseAlarms.flagged });
  const past = await scoreAt('cust_bt_imported', GRID.from);
  expect(past.errors).toBeUndefined();
  expect(past.data?.refreshHealthScore).toEqual({ asOf: GRID.from, tier: 'healthy' });
  expect((await scoreAt('cust_bt_imported', daysAgo(170))).errors?.[0].extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    argument: 'asOf',
  });
});
