// What the predictive score promises beyond its arithmetic, through the API: the churn label is
// invisible to any score before it, no score exists before signup, a new or data-poor account is
// ONBOARDING and never flagged for missing data, and churned accounts leave the worklist.
import {
  CustomerScoreStateDocument,
  OutreachLogDocument,
  RecordPaymentDocument,
  RefreshAllDocument,
  RefreshHealthScoreDocument,
  ScoreHistoryDocument,
  TierChangesDocument,
  TrackEngagementBatchDocument,
  UpsertCustomerDocument,
  WorklistDocument,
} from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

/** Three users on every day in [from, to] days ago; from `declineFrom` days ago, one user only, on one feature. */
function usage(customerId: string, from: number, to: number, declineFrom = -1) {
  const events = [];
  for (let d = from; d >= to; d--) {
    const users = d <= declineFrom ? ['u1'] : ['u1', 'u2', 'u3'];
    for (const [i, userId] of users.entries()) {
      events.push({
        customerId,
        eventType: 'feature_used',
        feature: d <= declineFrom ? 'f0' : `f${(d + i) % 5}`,
        userId,
        occurredAt: daysAgo(d, 9 + i),
      });
    }
  }
  return events;
}

/** The customer's tier changes found live (what was published), oldest first. */
async function liveChanges(customerId: string) {
  const changes = await server.gql(TierChangesDocument, { customerId, backfill: false, first: 20 });
  return changes.tierChanges.edges.map((e) => e.node);
}

/** The customer's score history, oldest first. */
async function historyOf(customerId: string) {
  const history = await server.gql(ScoreHistoryDocument, { customerId, first: 20 });
  return history.healthScoreHistory.edges.map((e) => e.node).reverse();
}

beforeAll(async () => {
  server = await startTestServer({ label: 'predictive', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const signedUpAt = daysAgo(200);
  for (const id of ['cust_twin_a', 'cust_twin_b', 'cust_steady', 'cust_gone']) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt, arrCents: 6_000_000, seats: 5 } });
  }
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_new', name: 'New Co', signedUpAt: daysAgo(3), arrCents: 9_000_000 } });
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_future', name: 'Future Co', signedUpAt: daysAgo(10), arrCents: 100_000 } });
  const events = [
    // The twins decline the same way (a champion leaves); only one of them is labelled churned.
    ...usage('cust_twin_a', 100, 1, 25),
    ...usage('cust_twin_b', 100, 1, 25),
    ...usage('cust_steady', 100, 0),
    ...usage('cust_gone', 130, 65, 80),
  ];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  // Answers of different ages: the recency-weighted NPS is fractional.
  for (const [score, days] of [
    [3, 40],
    [10, 5],
    [8, 20],
  ]) {
    await server.request(
      `mutation { submitNpsResponse(input: { customerId: "cust_steady", score: ${score}, respondedAt: "${daysAgo(days)}" }) { id } }`,
    );
  }
});
afterAll(() => server.stop());

it('scores an account as of any instant before its churn the same as an identical account that never churned', async () => {
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_twin_a', name: 'cust_twin_a', churnedAt: daysAgo(2), churnReason: 'champion left' },
  });
  for (const days of [20, 10, 3]) {
    const [a, b] = await Promise.all(
      ['cust_twin_a', 'cust_twin_b'].map(
        async (customerId) => (await server.gql(RefreshHealthScoreDocument, { customerId, asOf: daysAgo(days) })).refreshHealthScore,
      ),
    );
    expect({ score: a.score, tier: a.tier, signals: a.signals }).toEqual({ score: b.score, tier: b.tier, signals: b.signals });
  }
  // After the churn date the label is known: the lifecycle says so, the score itself does not use it.
  await server.gql(RefreshAllDocument, {});
  const [a, b] = await Promise.all(
    ['cust_twin_a', 'cust_twin_b'].map(async (id) => (await server.gql(CustomerScoreStateDocument, { id })).customer!),
  );
  expect(a.lifecycleStage).toBe('CHURNED');
  expect(b.lifecycleStage).not.toBe('CHURNED');
  expect(a.healthScore).toBe(b.healthScore);
});

it("keeps each score's lifecycle stage as of its instant: a cancellation dated later is in none of the points before it", async () => {
  const stages = async (customerId: string) => {
    const answer = await server.request<
      { healthScoreHistory: { edges: Array<{ node: { asOf: string; lifecycleStage: string | null } }> } },
      unknown
    >(`query ($id: ID!) { healthScoreHistory(customerId: $id, first: 20) { edges { node { asOf lifecycleStage } } } }`, { id: customerId });
    return answer.data!.healthScoreHistory.edges.map((e) => e.node).reverse();
  };
  const [a, b] = [await stages('cust_twin_a'), await stages('cust_twin_b')];
  const churnedAt = Date.parse(daysAgo(2));
  const before = a.filter((point) => Date.parse(point.asOf) < churnedAt);
  expect(before.map((point) => point.asOf)).toEqual([daysAgo(20), daysAgo(10), daysAgo(3)]);
  // Staged as its twin, which never churned, was at the same instants.
  expect(before.map((point) => point.lifecycleStage)).toEqual(
    b.filter((point) => Date.parse(point.asOf) < churnedAt).map((p) => p.lifecycleStage),
  );
  expect(before.every((point) => point.lifecycleStage !== null && point.lifecycleStage !== 'CHURNED')).toBe(true);
  expect(a[a.length - 1].lifecycleStage).toBe('CHURNED');
});

it('sees a champion leaving while login days hold steady', async () => {
  const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_twin_b' });
  const signal = (name: string) => score.signals.find((s) => s.name === name)!;
  // Login days at the usual rhythm (a day more or less at the windows' edges).
  expect(Math.abs(signal('active_days_trend').rawValue! - 1)).toBeLessThan(0.06);
  // One of the three users a fortnight usually sees (all three came daily).
  expect(signal('active_users_trend').rawValue).toBeCloseTo(1 / 3, 4);
  expect(signal('active_users_trend').value).toBeCloseTo(0.0606, 3);
  expect(signal('feature_breadth_trend').rawValue).toBeCloseTo(1 / 5, 5);
  const steady = (await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_steady' })).refreshHealthScore;
  expect(steady.score - score.score).toBeGreaterThanOrEqual(15);
});

it('has no score before signup: refused for one customer, skipped by a full run', async () => {
  const refused = await server.request(RefreshHealthScoreDocument, { customerId: 'cust_future', asOf: daysAgo(20) });
  expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  const run = await server.gql(RefreshAllDocument, { asOf: daysAgo(20) });
  expect(run.refreshAllHealthScores.customersScored).toBe(4);
  const history = await server.request<{ healthScoreHistory: { totalCount: number } }, unknown>(
    `{ healthScoreHistory(customerId: "cust_future", to: "${daysAgo(10, 0)}") { totalCount } }`,
  );
  expect(history.data!.healthScoreHistory.totalCount).toBe(0);
});

it('keeps a new account without data ONBOARDING in a good tier, off the worklist and out of every playbook', async () => {
  const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_new' });
  expect(score.tier).toBe('healthy');
  expect(score.coverage).toBeLessThan(0.6);
  const state = await server.gql(CustomerScoreStateDocument, { id: 'cust_new' });
  expect(state.customer!.lifecycleStage).toBe('ONBOARDING');
  expect((await server.gql(OutreachLogDocument, { customerId: 'cust_new', first: 10 })).outreachLog.totalCount).toBe(0);
});

it('never lists churned accounts on the worklist', async () => {
  await server.gql(RefreshAllDocument, {});
  const gone = await server.gql(CustomerScoreStateDocument, { id: 'cust_gone' });
  expect(gone.customer).toMatchObject({ lifecycleStage: 'CHURNED' });
  expect(['at_risk', 'critical']).toContain(gone.customer!.tier);
  // The recency-weighted NPS of the steady account is stored whole on the customer.
  const steady = await server.request<{ customer: { nps: number } }, unknown>('{ customer(id: "cust_steady") { nps } }');
  expect(Number.isInteger(steady.data!.customer.nps)).toBe(true);
  expect(steady.data!.customer.nps).toBeGreaterThan(0);
  const list = await server.gql(WorklistDocument, { first: 50 });
  const ids = list.worklist.edges.map((e) => e.node.id);
  expect(ids).not.toContain('cust_gone');
  expect(ids).not.toContain('cust_twin_a');
  expect(ids).not.toContain('cust_new');
});

it('keeps a thinly observed account ONBOARDING and out of the expansion play: a few recent logins are no usage doubling', async () => {
  // Signed up long ago with nothing recorded until three logins this week; and one first seen today, without a signup.
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_poor_old', name: 'Poor Old', signedUpAt: daysAgo(400), arrCents: 5_000_000 },
  });
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_poor_new', name: 'Poor New', arrCents: 5_000_000 } });
  const events = [
    ...[9, 5, 2].map((d) => ({ customerId: 'cust_poor_old', eventType: 'login', userId: 'u1', occurredAt: daysAgo(d) })),
    { customerId: 'cust_poor_new', eventType: 'login', userId: 'u1', occurredAt: new Date(now - 3 * 3_600_000).toISOString() },
  ];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  for (const id of ['cust_poor_old', 'cust_poor_new']) {
    const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: id });
    const trends = score.signals.filter((s) => ['active_days_trend', 'usage_volume_trend'].includes(s.name));
    expect({ id, trends: trends.map((s) => [s.name, s.rawValue]) }).toEqual({
      id,
      trends: [
        ['active_days_trend', null],
        ['usage_volume_trend', null],
      ],
    });
    const state = await server.gql(CustomerScoreStateDocument, { id });
    expect({ id, stage: state.customer!.lifecycleStage }).toEqual({ id, stage: 'ONBOARDING' });
    const outreach = await server.gql(OutreachLogDocument, { customerId: id, first: 10 });
    expect({ id, playbooks: outreach.outreachLog.edges.map((e) => e.node.playbook) }).toEqual({ id, playbooks: [] });
  }
});

it('lists a thinly observed account on the worklist when red flags put it in a bad tier: failing invoices are no missing data', async () => {
  // Signed up long ago, used for the first time this week, every invoice failing and its answers angry.
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_poor_failing', name: 'Poor Failing', signedUpAt: daysAgo(270), arrCents: 5_000_000 },
  });
  const events = [{ customerId: 'cust_poor_failing', eventType: 'login', userId: 'u1', occurredAt: daysAgo(2) }];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  for (let i = 1; i <= 4; i++) {
    await server.request(
      `mutation { recordPayment(input: { customerId: "cust_poor_failing", externalId: "f${i}", amountCents: 1000, currency: "usd", status: FAILED, dueAt: "${daysAgo(34 - i)}" }) { id } }`,
    );
    await server.request(`mutation { submitNpsResponse(input: { customerId: "cust_poor_failing", score: 0 }) { id } }`);
  }
  const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_poor_failing' });
  expect(score.coverage).toBeLessThan(0.6);
  expect(['at_risk', 'critical']).toContain(score.tier);
  const state = await server.gql(CustomerScoreStateDocument, { id: 'cust_poor_failing' });
  expect(state.customer!.lifecycleStage).toBe('AT_RISK');
  const list = await server.gql(WorklistDocument, { first: 50 });
  expect(list.worklist.edges.map((e) => e.node.id)).toContain('cust_poor_failing');
});

it('lists a young account on the worklist when its invoices fail: its first weeks of use are onboarding, its payments are not', async () => {
  // Signed up 20 days ago, used daily since by its team, and its first invoices have failed for two weeks.
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_young_failing', name: 'Young Failing', signedUpAt: daysAgo(20), arrCents: 5_000_000, seats: 5 },
  });
  const events = usage('cust_young_failing', 19, 0);
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  for (let i = 1; i <= 3; i++) {
    await server.request(
      `mutation { recordPayment(input: { customerId: "cust_young_failing", externalId: "y${i}", amountCents: 1000, currency: "usd", status: FAILED, dueAt: "${daysAgo(19 - i)}" }) { id } }`,
    );
  }
  const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_young_failing' });
  expect(['at_risk', 'critical']).toContain(score.tier);
  const state = await server.gql(CustomerScoreStateDocument, { id: 'cust_young_failing' });
  expect(state.customer!.lifecycleStage).toBe('AT_RISK');
  const list = await server.gql(WorklistDocument, { first: 50 });
  expect(list.worklist.edges.map((e) => e.node.id)).toContain('cust_young_failing');
  // Its tier's playbook runs, as for any account in that tier (a new account without data gets none: above).
  const outreach = await server.gql(OutreachLogDocument, { customerId: 'cust_young_failing', first: 10 });
  expect(outreach.outreachLog.totalCount).toBeGreaterThan(0);
});

it('keeps a cancelled account in the tier it left in: its falling score changes no tier, and it is in no tier list or average', async () => {
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_cancelled', name: 'Cancelled Co', signedUpAt: daysAgo(200), arrCents: 1_000_000, seats: 5 },
  });
  expect(
    (await server.gql(TrackEngagementBatchDocument, { events: usage('cust_cancelled', 120, 35) })).trackEngagementBatch.errors,
  ).toEqual([]);
  const before = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_cancelled', asOf: daysAgo(34) });
  expect(before.refreshHealthScore.tier).toBe('healthy');
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_cancelled', name: 'Cancelled Co', churnedAt: daysAgo(30) } });
  // Five weeks silent by now: as a customer it would score critical.
  const after = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_cancelled' });
  expect(after.refreshHealthScore.score).toBeLessThan(40);
  expect(after.refreshHealthScore.tier).toBe('healthy');
  const changes = await server.request<{ tierChanges: { edges: Array<{ node: { changedAt: string } }> } }, unknown>(
    `{ tierChanges(customerId: "cust_cancelled", since: "${daysAgo(31)}", first: 10) { edges { node { changedAt } } } }`,
  );
  expect(changes.data!.tierChanges.edges).toEqual([]);
  await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_steady' });
  const lists = await server.request<
    { healthy: { edges: Array<{ node: { customerId: string } }> }; summary: { averageScore: number; churnedCustomers: number } },
    unknown
  >(
    `{ healthy: healthScores(tier: "healthy", first: 500) { edges { node { customerId } } } summary: healthSummary { averageScore churnedCustomers } }`,
  );
  expect(lists.data!.healthy.edges.map((e) => e.node.customerId)).not.toContain('cust_cancelled');
  // Narrowed by its score instead, it is left out too, as by its tier; unnarrowed, its latest score is listed.
  const score = after.refreshHealthScore.score;
  const narrowed = await server.request<Record<'all' | 'range', { edges: Array<{ node: { customerId: string } }> }>, unknown>(
    `{ all: healthScores(first: 500) { edges { node { customerId } } }
       range: healthScores(minScore: ${score}, maxScore: ${score}, first: 500) { edges { node { customerId } } }
     }`,
  );
  const listed = (list: 'all' | 'range') => narrowed.data![list].edges.map((e) => e.node.customerId);
  expect(listed('all')).toContain('cust_cancelled');
  expect(listed('range')).not.toContain('cust_cancelled');
  const everyone = await server.request<
    { customers: { edges: Array<{ node: { healthScore: number | null; churnedAt: string | null; lifecycleStage: string | null } }> } },
    unknown
  >(`{ customers(first: 500) { edges { node { healthScore churnedAt lifecycleStage } } } }`);
  const scored = everyone.data!.customers.edges.map((e) => e.node).filter((c) => c.healthScore !== null);
  // The accounts still to keep: neither cancelled nor churned by a silence (the average leaves both out).
  const current = scored.filter((c) => (c.churnedAt === null || Date.parse(c.churnedAt) > Date.now()) && c.lifecycleStage !== 'CHURNED');
  expect(current.length).toBeLessThan(scored.length);
  const mean = current.reduce((sum, c) => sum + c.healthScore!, 0) / current.length;
  expect(lists.data!.summary.averageScore).toBeCloseTo(mean, 0);
});

describe('a cancelled account whose past is scored after its live points: one tier after the churn, the one it left in, in any order', () => {
  // Busy until 26 days ago, cancelled 30 days ago, its cancellation recorded after it was scored live.
  const CHURN_DAYS_AGO = 30;
  it.each([
    ['one day after the churn', [25]],
    ['the day before the churn, then one after it', [35, 25]],
    ['one day after the churn, then the day before it', [25, 35]],
    ['a range over the churn, oldest first (as backfillHistory scores it)', [35, 31, 29, 25, 20]],
    ['a range over the churn, newest first', [20, 25, 29, 31, 35]],
    ['a range over the churn, in no order', [29, 35, 20, 31, 25]],
  ])('%s', async (_, pastDays) => {
    const id = `cust_cancelled_late_${pastDays.join('_')}`;
    await server.gql(UpsertCustomerDocument, {
      input: { id, name: 'Cancelled Late', signedUpAt: daysAgo(200), arrCents: 1_000_000, seats: 5 },
    });
    expect((await server.gql(TrackEngagementBatchDocument, { events: usage(id, 120, 26) })).trackEngagementBatch.errors).toEqual([]);
    // Scored live before its cancellation is known: four weeks silent, no longer healthy.
    const live = (await server.gql(RefreshHealthScoreDocument, { customerId: id })).refreshHealthScore;
    expect(live.tier).not.toBe('healthy');
    // Its cancellation, dated before that point, arrives; a live point after it keeps the tier it left in.
    await server.gql(UpsertCustomerDocument, { input: { id, name: 'Cancelled Late', churnedAt: daysAgo(CHURN_DAYS_AGO) } });
    expect((await server.gql(RefreshHealthScoreDocument, { customerId: id })).refreshHealthScore.tier).toBe(live.tier);
    // Its past, scored now (a backfill): busy until days after the churn, as a customer it would score healthy then.
    for (const days of pastDays) {
      const past = (await server.gql(RefreshHealthScoreDocument, { customerId: id, asOf: daysAgo(days) })).refreshHealthScore;
      if (days >= 25) expect(past.score).toBeGreaterThan(70);
    }
    const history = (await server.gql(ScoreHistoryDocument, { customerId: id, first: 20 })).healthScoreHistory.edges
      .map((e) => e.node)
      .reverse();
    const churnedAt = Date.parse(daysAgo(CHURN_DAYS_AGO));
    const [before, after] = [history.filter((p) => Date.parse(p.asOf) < churnedAt), history.filter((p) => Date.parse(p.asOf) >= churnedAt)];
    expect(before.map((p) => p.tier)).toEqual(before.map(() => 'healthy'));
    // The points after the churn hold the tier it left in: that of the point before it once one is
    // written (the live points too), else the one they were scored in.
    const leftIn = before.length > 0 ? 'healthy' : live.tier;
    expect(after.map((p) => p.tier)).toEqual(after.map(() => leftIn));
    // Its tier changes describe consecutive points: none after its first.
    const changes = (await server.gql(TierChangesDocument, { customerId: id, first: 20 })).tierChanges.edges.map((e) => e.node);
    const moves = history.flatMap((point, i) =>
      i > 0 && history[i - 1].tier !== point.tier ? [{ fromTier: history[i - 1].tier, toTier: point.tier, changedAt: point.asOf }] : [],
    );
    expect(changes.filter((c) => c.fromTier !== null).map(({ fromTier, toTier, changedAt }) => ({ fromTier, toTier, changedAt }))).toEqual(
      moves,
    );
    expect(moves).toEqual([]);
  });
});

describe('a cancelled account holds the tier of its last point before the churn, whatever order its past is scored in', () => {
  // Busy until its cancellation 30 days ago: healthy up to it, a month silent after it.
  const CHURN_DAYS_AGO = 30;
  it.each([
    // The first start backfills its last weeks (no point before them), then the days before, oldest first.
    ['the points after the churn first, then those before it, oldest first', [12, 8, 4], [40, 35, 31, 29, 25, 20, 16]],
    ['the points before the churn first, then those after it', [40, 35, 31], [29, 25, 20, 16, 12, 8, 4]],
    ['the points before the churn newest first, after the points after it', [12, 8, 4], [31, 35, 40, 29, 25]],
  ])('%s', async (_, firstDays, thenDays) => {
    const id = `cust_cancelled_held_${firstDays.join('_')}_${thenDays.join('_')}`;
    await server.gql(UpsertCustomerDocument, {
      input: { id, name: 'Cancelled Healthy', signedUpAt: daysAgo(200), arrCents: 1_000_000, seats: 5, churnedAt: daysAgo(CHURN_DAYS_AGO) },
    });
    expect(
      (await server.gql(TrackEngagementBatchDocument, { events: usage(id, 120, CHURN_DAYS_AGO) })).trackEngagementBatch.errors,
    ).toEqual([]);
    const scores = new Map<number, number>();
    for (const days of [...firstDays, ...thenDays]) {
      scores.set(days, (await server.gql(RefreshHealthScoreDocument, { customerId: id, asOf: daysAgo(days, 0) })).refreshHealthScore.score);
    }
    // Weeks silent, its latest point scores below healthy on its own.
    expect(scores.get(4)).toBeLessThan(70);
    const history = (await server.gql(ScoreHistoryDocument, { customerId: id, first: 20 })).healthScoreHistory.edges
      .map((e) => e.node)
      .reverse();
    const churnedAt = Date.parse(daysAgo(CHURN_DAYS_AGO));
    const before = history.filter((p) => Date.parse(p.asOf) < churnedAt);
    const after = history.filter((p) => Date.parse(p.asOf) >= churnedAt);
    expect(before.at(-1)?.tier).toBe('healthy');
    expect(after.map((p) => p.tier)).toEqual(after.map(() => 'healthy'));
    // No tier change at or after the churn: its only change is its first tier.
    const changes = (await server.gql(TierChangesDocument, { customerId: id, first: 20 })).tierChanges.edges.map((e) => e.node);
    expect(changes.filter((c) => Date.parse(c.changedAt) >= churnedAt)).toEqual([]);
    const state = (await server.gql(CustomerScoreStateDocument, { id })).customer;
    expect(state?.tier).toBe('healthy');
  });

  // Scored and published live before its cancellation was recorded: a move out of healthy, on the
  // only points past day 40 (with a point between the churn and the move in the last two). Then the
  // cancellation arrives and days before the churn are scored (backfills), the last before it each time.
  it.each([
    {
      title: 'the tier the move came from: the move stays as published',
      busy: [[120, 30]],
      churn: 30,
      failedPaymentsBeforeMove: [],
      backfilled: [35],
      tiers: ['healthy', 'healthy', 'critical'],
      published: { fromTier: 'healthy', toTier: 'critical', at: 'live' },
    },
    {
      title: 'a third tier: the move now comes from it',
      busy: [
        [120, 42],
        [35, 30],
      ],
      churn: 30,
      failedPaymentsBeforeMove: [],
      backfilled: [35],
      tiers: ['healthy', 'monitor', 'critical'],
      published: { fromTier: 'monitor', toTier: 'critical', at: 'live' },
    },
    {
      title: 'a third tier, then a later day another: the move, still listed live, comes from the latest',
      busy: [
        [120, 42],
        [35, 30],
      ],
      churn: 30,
      failedPaymentsBeforeMove: [],
      backfilled: [35, 33],
      tiers: ['healthy', 'monitor', 'healthy', 'critical'],
      published: { fromTier: 'healthy', toTier: 'critical', at: 'live' },
    },
    {
      title: 'the tier the move went to: the move happened by then',
      busy: [
        [120, 42],
        [35, 7],
      ],
      churn: 6,
      failedPaymentsBeforeMove: [],
      backfilled: [35],
      tiers: ['healthy', 'monitor', 'monitor'],
      published: { fromTier: 'healthy', toTier: 'monitor', at: 35 },
    },
    {
      title: 'a third tier, with a live point between the churn and the move: that point holds it',
      busy: [
        [120, 42],
        [35, 0],
      ],
      churn: 30,
      failedPaymentsBeforeMove: [3, 2, 1],
      backfilled: [35],
      tiers: ['healthy', 'monitor', 'monitor', 'at_risk'],
      published: { fromTier: 'monitor', toTier: 'at_risk', at: 'live' },
    },
    {
      title: 'the tier the move went to, with a live point between the churn and the move',
      busy: [
        [120, 42],
        [35, 0],
      ],
      churn: 30,
      failedPaymentsBeforeMove: [3, 2],
      backfilled: [35],
      tiers: ['healthy', 'monitor', 'monitor', 'monitor'],
      published: { fromTier: 'healthy', toTier: 'monitor', at: 35 },
    },
  ])('keeps the live move past the churn published when the day before the churn scores $title', async (scenario) => {
    const id = `cust_recorded_late_${scenario.backfilled.join('_')}_${scenario.tiers.join('_')}_${scenario.churn}`;
    await server.gql(UpsertCustomerDocument, {
      input: { id, name: 'Recorded Late', signedUpAt: daysAgo(200), arrCents: 1_000_000, seats: 5 },
    });
    const events = scenario.busy.flatMap(([from, to]) => usage(id, from, to));
    expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
    expect((await server.gql(RefreshHealthScoreDocument, { customerId: id, asOf: daysAgo(40, 0) })).refreshHealthScore.tier).toBe(
      'healthy',
    );
    let live = (await server.gql(RefreshHealthScoreDocument, { customerId: id })).refreshHealthScore;
    if (scenario.failedPaymentsBeforeMove.length > 0) {
      expect(live.tier).toBe('healthy');
      for (const days of scenario.failedPaymentsBeforeMove) {
        await server.gql(RecordPaymentDocument, {
          input: { customerId: id, amountCents: 100_000, currency: 'EUR', status: 'FAILED', occurredAt: daysAgo(days) },
        });
      }
      live = (await server.gql(RefreshHealthScoreDocument, { customerId: id })).refreshHealthScore;
    }
    const [published, ...others] = await liveChanges(id);
    expect(others).toEqual([]);
    expect(published).toMatchObject({ fromTier: 'healthy', toTier: scenario.published.toTier, changedAt: live.asOf });
    await server.gql(UpsertCustomerDocument, { input: { id, name: 'Recorded Late', churnedAt: daysAgo(scenario.churn) } });
    for (const days of scenario.backfilled) await server.gql(RefreshHealthScoreDocument, { customerId: id, asOf: daysAgo(days, 0) });
    // The move clients were told of is still listed live, under its id, now following the history.
    const { fromTier, toTier, at } = scenario.published;
    const changedAt = typeof at === 'number' ? daysAgo(at, 0) : live.asOf;
    expect(await liveChanges(id)).toEqual([expect.objectContaining({ id: published.id, fromTier, toTier, changedAt, backfill: false })]);
    const history = await historyOf(id);
    expect(history.map((point) => point.tier)).toEqual(scenario.tiers);
    expect((await server.gql(CustomerScoreStateDocument, { id })).customer?.tier).toBe(scenario.tiers.at(-1));
    // Every change, published or backfilled, describes two consecutive points.
    const changes = (await server.gql(TierChangesDocument, { customerId: id, first: 20 })).tierChanges.edges.map((e) => e.node);
    const moves = history.flatMap((point, i) =>
      i > 0 && history[i - 1].tier !== point.tier
        ? [{ fromTier: history[i - 1].tier, fromScore: history[i - 1].score, toTier: point.tier, changedAt: point.asOf }]
        : [],
    );
    expect(
      changes
        .filter((c) => c.fromTier !== null)
        .map(({ fromTier, fromScore, toTier, changedAt }) => ({ fromTier, fromScore, toTier, changedAt })),
    ).toEqual(moves);
  });
});

it('names the customer, not an asOf it was not given, when it signs up later today', async () => {
  const later = new Date(Date.now() + 12 * 3_600_000).toISOString();
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_later_today', name: 'Later Today', signedUpAt: later } });
  const now = await server.request(RefreshHealthScoreDocument, { customerId: 'cust_later_today' });
  expect(now.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'customerId' });
  expect(now.errors?.[0].message).toBe(`customer cust_later_today signs up at ${later}, after now: no score exists before signup`);
  const past = await server.request(RefreshHealthScoreDocument, { customerId: 'cust_later_today', asOf: daysAgo(1) });
  expect(past.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'asOf' });
});
