// Explainable scores, as-of scoring, the model API, playbooks with opt-out and cooldown, the
// read side (summary, worklist, latest scores) and the bounded statement count of a full run.
import {
  CurrentModelDocument,
  CustomerScoreStateDocument,
  LatestScoreDocument,
  LatestScoresDocument,
  OutreachLogDocument,
  RefreshAllDocument,
  RefreshHealthScoreDocument,
  ScoreHistoryDocument,
  SetOptOutDocument,
  SubmitNpsResponseDocument,
  SummaryDocument,
  TrackEngagementBatchDocument,
  UpdateModelDocument,
  UpsertCustomerDocument,
  WorklistDocument,
} from '../__generated__/graphql';
import type { ScoringModelConfig } from '../../src/scoring/model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

/** Engagement on each of the given days ago: a login and two features. */
function activity(customerId: string, days: number[]) {
  return days.flatMap((d) => [
    { customerId, eventType: 'login', occurredAt: daysAgo(d, 9) },
    { customerId, eventType: 'feature_used', feature: `f${d % 6}`, occurredAt: daysAgo(d, 11) },
    { customerId, eventType: 'feature_used', feature: `g${d % 5}`, occurredAt: daysAgo(d, 15) },
  ]);
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(async () => {
  server = await startTestServer({ label: 'scoring', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const customers = [
    { id: 'cust_healthy', name: 'Healthy Co', arrCents: 1_000_000, signedUpAt: daysAgo(200) },
    { id: 'cust_quiet', name: 'Quiet Co', arrCents: 9_000_000, signedUpAt: daysAgo(200) },
    { id: 'cust_small', name: 'Small Co', arrCents: 100_000, signedUpAt: daysAgo(200) },
    { id: 'cust_optout', name: 'Opted Out Co', arrCents: 8_000_000, signedUpAt: daysAgo(200) },
  ];
  for (const input of customers) await server.gql(UpsertCustomerDocument, { input });
  await server.gql(SetOptOutDocument, { customerId: 'cust_optout', optedOut: true });
  const events = [
    ...activity('cust_healthy', range(0, 80)),
    ...activity('cust_quiet', range(40, 80)),
    ...activity('cust_small', range(35, 80)),
    ...activity('cust_optout', range(26, 86)),
  ];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  await server.gql(SubmitNpsResponseDocument, { input: { customerId: 'cust_healthy', score: 10, respondedAt: daysAgo(20) } });
});
afterAll(() => server.stop());

describe('explainable scores', () => {
  it('explains a score with components, signals, coverage and the model version', async () => {
    const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_healthy' });
    expect(score.score).toBeGreaterThanOrEqual(70);
    expect(score.tier).toBe('healthy');
    expect(score.modelVersion).toBe(1);
    expect(score.components.map((c) => c.name)).toEqual(['engagement', 'payments', 'support', 'nps']);
    // Active every day of the last 21 as in the 60 before: its own rhythm (a day more or less at the
    // windows' edges, depending on the hour), seven eighths of full marks (full marks need 110 %).
    const rhythm = score.signals.find((s) => s.name === 'active_days_trend')!;
    expect(rhythm).toMatchObject({ component: 'engagement', missing: false });
    expect(Math.abs(rhythm.rawValue! - 1)).toBeLessThan(0.06);
    expect(rhythm.value).toBeCloseTo((rhythm.rawValue! - 0.3) / 0.8, 4);
    const contraction = score.signals.find((s) => s.name === 'contraction')!;
    expect(contraction).toMatchObject({ component: 'payments', missing: false, rawValue: 0 });
    const seats = score.signals.find((s) => s.name === 'seat_utilisation')!;
    expect(seats.missing).toBe(true);
    // Coverage is the share of weight observed: seats (none given) and CSAT are missing here.
    expect(score.coverage).toBeGreaterThan(0.5);
    expect(score.coverage).toBeLessThan(1);
    const contributions = score.signals.reduce((sum, s) => sum + s.contribution, 0);
    expect(Math.abs(contributions - score.score)).toBeLessThanOrEqual(1);

    const latest = await server.gql(LatestScoreDocument, { customerId: 'cust_healthy' });
    expect(latest.healthScore?.id).toBe(score.id);
    const state = await server.gql(CustomerScoreStateDocument, { id: 'cust_healthy' });
    expect(state.customer).toMatchObject({ healthScore: score.score, tier: 'healthy', currentScore: { score: score.score } });
  });

  it('stores each signal as a positional array, and answers stored rows of either form with the same objects', async () => {
    const { refreshHealthScore: score } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_small' });
    const stored = await sql<{ signals: unknown[] }>(server.database, 'select signals from health_score where id = $1', [score.id]);
    expect(stored[0].signals).toHaveLength(score.signals.length);
    for (const [i, signal] of score.signals.entries()) {
      expect(stored[0].signals[i]).toEqual([
        signal.name,
        signal.component,
        signal.rawValue,
        signal.value,
        signal.weight,
        expect.any(Number),
        signal.contribution,
        signal.missing,
      ]);
    }
    expect((await server.gql(LatestScoreDocument, { customerId: 'cust_small' })).healthScore?.signals).toEqual(score.signals);

    // A row written before the positional form (objects with their keys) reads the same.
    const objects = (stored[0].signals as unknown[][]).map(
      ([name, component, rawValue, value, weight, effectiveWeight, contribution, missing]) => ({
        name,
        component,
        rawValue,
        value,
        weight,
        effectiveWeight,
        contribution,
        missing,
      }),
    );
    await sql(server.database, 'update health_score set signals = $1::json where id = $2', [JSON.stringify(objects), score.id]);
    expect((await server.gql(LatestScoreDocument, { customerId: 'cust_small' })).healthScore?.signals).toEqual(score.signals);
  });

  it('stores each penalty as a positional array, and answers stored rows of either form with the same objects', async () => {
    const fields =
      'id penalties { name rawValue points applied heldBack heldBackBy { metric windowDays baselineDays direction threshold value } } reasons(first: 20) { kind name pointsLost value }';
    type Condition = {
      metric: string;
      windowDays: number;
      baselineDays: number | null;
      direction: string;
      threshold: number;
      value: number;
    };
    type Explained = {
      id: string;
      penalties: Array<{
        name: string;
        rawValue: number | null;
        points: number;
        applied: boolean;
        heldBack: boolean;
        heldBackBy: Condition[];
      }>;
      reasons: unknown[];
    };
    const scored = await server.request<{ refreshHealthScore: Explained }, Record<string, never>>(
      `mutation { refreshHealthScore(customerId: "cust_small") { ${fields} } }`,
    );
    expect(scored.errors).toBeUndefined();
    const score = scored.data!.refreshHealthScore;
    expect(score.penalties.length).toBeGreaterThan(0);
    const stored = await sql<{ penalties: unknown[] }>(server.database, 'select penalties from health_score where id = $1', [score.id]);
    // A fifth element only for a penalty its conditions held back (this account is silent: the team
    // and usage flags are): the conditions that did not hold, by their position in the penalty's
    // `onlyWhen`, each with its metric's value. The API states each condition as the model does.
    const heldBack = score.penalties.filter((p) => p.heldBack);
    expect(heldBack.length).toBeGreaterThan(0);
    expect(score.penalties.filter((p) => !p.heldBack).every((p) => p.heldBackBy.length === 0)).toBe(true);
    const model = (await server.gql(CurrentModelDocument, {})).scoringModel.config as ScoringModelConfig;
    const stored5th = (p: Explained['penalties'][number]) => {
      const conditions = model.penalties.find((c) => c.name === p.name)!.onlyWhen!;
      return p.heldBackBy.map(({ value, ...condition }) => {
        const position = conditions.findIndex(
          (c) =>
            c.metric === condition.metric &&
            c.windowDays === condition.windowDays &&
            (c.baselineDays ?? null) === condition.baselineDays &&
            c.direction === condition.direction &&
            c.threshold === condition.threshold,
        );
        expect(position).toBeGreaterThanOrEqual(0);
        return [position, value];
      });
    };
    for (const p of heldBack) expect(p.heldBackBy.length).toBeGreaterThan(0);
    expect(stored[0].penalties).toEqual(
      score.penalties.map((p) => [p.name, p.rawValue, p.points, p.applied, ...(p.heldBack ? [stored5th(p)] : [])]),
    );
    const read = async () => {
      const latest = await server.request<{ healthScore: Explained }, Record<string, never>>(
        `{ healthScore(customerId: "cust_small") { ${fields} } }`,
      );
      expect(latest.errors).toBeUndefined();
      return latest.data!.healthScore;
    };
    expect(await read()).toEqual(score);

    // A row written before the conditions were kept (a fifth element `true`) reads held back, without them.
    const marked = score.penalties.map((p) => [p.name, p.rawValue, p.points, p.applied, ...(p.heldBack ? [true] : [])]);
    await sql(server.database, 'update health_score set penalties = $1::json where id = $2', [JSON.stringify(marked), score.id]);
    expect(await read()).toEqual({ ...score, penalties: score.penalties.map((p) => ({ ...p, heldBackBy: [] })) });

    // A row written before the positional form (objects with their keys, before heldBack was kept)
    // reads the same, none of its penalties held back.
    const objects = score.penalties.map(({ heldBack: _heldBack, heldBackBy: _heldBackBy, ...rest }) => rest);
    await sql(server.database, 'update health_score set penalties = $1::json where id = $2', [JSON.stringify(objects), score.id]);
    expect(await read()).toEqual({ ...score, penalties: score.penalties.map((p) => ({ ...p, heldBack: false, heldBackBy: [] })) });
  });

  it('scores as of a past time from the signals up to that time only', async () => {
    // 50 days ago cust_quiet was as active as anyone; today it has been silent for 40 days.
    const past = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_quiet', asOf: daysAgo(50, 23) });
    const present = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_quiet' });
    expect(past.refreshHealthScore.score).toBeGreaterThan(present.refreshHealthScore.score + 30);
    expect(past.refreshHealthScore.asOf).toBe(daysAgo(50, 23));
    const history = await server.gql(ScoreHistoryDocument, { customerId: 'cust_quiet', first: 10 });
    expect(history.healthScoreHistory.edges.map((e) => e.node.asOf)[1]).toBe(daysAgo(50, 23));
    // A past scoring does not overwrite the current state.
    const state = await server.gql(CustomerScoreStateDocument, { id: 'cust_quiet' });
    expect(state.customer.healthScore).toBe(present.refreshHealthScore.score);
  });

  it('rejects asOf in the future, takes seconds ahead as now, and NOT_FOUND for an unknown customer', async () => {
    const future = await server.request(RefreshHealthScoreDocument, {
      customerId: 'cust_healthy',
      asOf: new Date(now + 5 * DAY).toISOString(),
    });
    expect(future.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // Seconds ahead (a client's clock) is now, not a later instant.
    const sent = Date.now();
    const ahead = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_healthy', asOf: new Date(sent + 30_000).toISOString() });
    expect(Date.parse(ahead.refreshHealthScore.asOf)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(ahead.refreshHealthScore.asOf)).toBeGreaterThanOrEqual(sent);
    const unknown = await server.request(RefreshHealthScoreDocument, { customerId: 'cust_nobody' });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const unknownLatest = await server.request(LatestScoreDocument, { customerId: 'cust_nobody' });
    expect(unknownLatest.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('playbooks', () => {
  it('logs team actions but skips customer-facing ones for an opted-out account whose tier worsened, then cools down', async () => {
    // Healthy while active 30 days ago; silent for 26 days now, longer than a holiday.
    const before = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_optout', asOf: daysAgo(30) });
    expect(before.refreshHealthScore.tier).toBe('healthy');
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_optout' });
    const log = await server.gql(OutreachLogDocument, { customerId: 'cust_optout', first: 50 });
    const actions = log.outreachLog.edges.map((e) => e.node);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.audience === 'CUSTOMER').every((a) => a.status === 'SKIPPED_OPT_OUT')).toBe(true);
    expect(actions.filter((a) => a.audience === 'CUSTOMER').length).toBeGreaterThan(0);
    // Silent too: the silence playbook's team actions repeat the tier playbook's, and are decided once.
    const team = actions.filter((a) => a.audience === 'TEAM');
    expect(team.every((a) => a.status === (a.playbook === 'silence' ? 'SUPPRESSED_DUPLICATE' : 'DECIDED'))).toBe(true);
    expect(team.some((a) => a.playbook === 'silence')).toBe(true);
    expect(actions.some((a) => a.trigger === 'TIER_WORSENED')).toBe(true);
    // $80k ARR in one of the two worst tiers: the team gets an escalation flag.
    expect(actions.some((a) => a.escalation && a.audience === 'TEAM')).toBe(true);

    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_optout' });
    const again = await server.gql(OutreachLogDocument, { customerId: 'cust_optout', first: 50 });
    const repeated = again.outreachLog.edges.map((e) => e.node).slice(0, again.outreachLog.totalCount - log.outreachLog.totalCount);
    expect(repeated.every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
    expect(again.outreachLog.totalCount).toBeGreaterThanOrEqual(log.outreachLog.totalCount);
    expect(repeated.length).toBeGreaterThan(0);
    // A third scoring inside the cooldown adds nothing: a suppression is logged once per cooldown.
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_optout' });
    const third = await server.gql(OutreachLogDocument, { customerId: 'cust_optout', first: 50 });
    expect(third.outreachLog.totalCount).toBe(again.outreachLog.totalCount);
    const logged = await server.gql(OutreachLogDocument, { customerId: 'cust_optout', status: 'DECIDED', first: 50 });
    expect(logged.outreachLog.totalCount).toBe(actions.filter((a) => a.status === 'DECIDED').length);
  });

  it('gives no escalation flag to a low-ARR account in the worst tiers', async () => {
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_small' });
    const log = await server.gql(OutreachLogDocument, { customerId: 'cust_small', first: 50 });
    expect(log.outreachLog.totalCount).toBeGreaterThan(0);
    expect(log.outreachLog.edges.some((e) => e.node.escalation)).toBe(false);
  });
});

describe('full runs and the read side', () => {
  it('scores everyone in a run, and summarises tiers, components and lifecycle stages', async () => {
    const { refreshAllHealthScores: run } = await server.gql(RefreshAllDocument, {});
    expect(run).toMatchObject({ status: 'SUCCEEDED', customersScored: 4 });
    expect(run.finishedAt).not.toBeNull();
    const { healthSummary } = await server.gql(SummaryDocument, {});
    expect(healthSummary.totalCustomers).toBe(4);
    expect(healthSummary.tiers.map((t) => t.tier)).toEqual(['healthy', 'monitor', 'at_risk', 'critical']);
    expect(healthSummary.tiers.reduce((sum, t) => sum + t.count, 0)).toBe(4);
    expect(healthSummary.components.find((c) => c.name === 'engagement')?.averageScore).not.toBeNull();
    expect(healthSummary.lifecycleStages.reduce((sum, s) => sum + s.count, 0)).toBe(4);
  });

  it('ranks the worklist by ARR at risk and filters latest scores by tier and range', async () => {
    const { worklist } = await server.gql(WorklistDocument, { first: 10 });
    const ids = worklist.edges.map((e) => e.node.id);
    expect(ids).not.toContain('cust_healthy');
    expect(ids[0]).toBe('cust_quiet'); // $90k ARR, lowest score
    const values = worklist.edges.map((e) => e.node.arrCents * (100 - (e.node.healthScore ?? 0)));
    expect([...values].sort((a, b) => b - a)).toEqual(values);

    const healthy = await server.gql(LatestScoresDocument, { tier: 'healthy' });
    expect(healthy.healthScores.edges.map((e) => e.node.customerId)).toEqual(['cust_healthy']);
    const low = await server.gql(LatestScoresDocument, { maxScore: 49 });
    expect(low.healthScores.edges.every((e) => e.node.score <= 49)).toBe(true);
    expect(low.healthScores.totalCount).toBe(3);
    const bad = await server.request(LatestScoresDocument, { minScore: 101 });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // An empty range is a mistake, not a question with no answer.
    const crossed = await server.request(LatestScoresDocument, { minScore: 80, maxScore: 10 });
    expect(crossed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'minScore' });
  });

  it('counts a customer who cancelled apart from the tiers, which hold the book still to keep', async () => {
    const before = (await server.gql(SummaryDocument, {})).healthSummary;
    // Signed up 20 days ago and not used yet: onboarding, in a tier (one signed up long ago and never used is churned by its silence).
    const signedUpAt = daysAgo(20);
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_cancelled', name: 'Cancelled', signedUpAt } });
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_cancelled' });
    const scored = (await server.gql(SummaryDocument, {})).healthSummary;
    const inTiers = (summary: typeof before) => summary.tiers.reduce((sum, tier) => sum + tier.count, 0);
    expect(inTiers(scored)).toBe(inTiers(before) + 1);
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_cancelled', name: 'Cancelled', churnedAt: new Date(Date.now() - 86_400_000).toISOString() },
    });
    const after = (await server.gql(SummaryDocument, {})).healthSummary;
    expect(after).toMatchObject({ totalCustomers: before.totalCustomers + 1, churnedCustomers: before.churnedCustomers + 1 });
    expect(inTiers(after)).toBe(inTiers(before));
  });

  it('counts an account churned by a silence past the churn window once, as churned: in no tier, nor in the averages or the tier lists', async () => {
    const before = (await server.gql(SummaryDocument, {})).healthSummary;
    const input = { id: 'cust_gone_silent', name: 'Gone Silent', arrCents: 5_000_000, signedUpAt: daysAgo(200) };
    await server.gql(UpsertCustomerDocument, { input });
    // Used for months, silent for the last 70 days: past the 60 of the churn window, without cancelling.
    expect(
      (await server.gql(TrackEngagementBatchDocument, { events: activity(input.id, range(70, 150)) })).trackEngagementBatch.errors,
    ).toEqual([]);
    const { refreshHealthScore: scored } = await server.gql(RefreshHealthScoreDocument, { customerId: input.id });
    const read = await server.gql<
      {
        customer: { lifecycleStage: string; churnedAt: string | null };
        customers: { edges: Array<{ node: { id: string } }> };
        healthScores: { edges: Array<{ node: { customerId: string } }> };
      },
      never
    >(
      `{ customer(id: "${input.id}") { lifecycleStage churnedAt }
         customers(tier: "${scored.tier}", first: 500) { edges { node { id } } }
         healthScores(tier: "${scored.tier}", first: 500) { edges { node { customerId } } } }`,
    );
    expect(read.customer).toEqual({ lifecycleStage: 'CHURNED', churnedAt: null });
    const after = (await server.gql(SummaryDocument, {})).healthSummary;
    const churnedStage = (summary: typeof before) => summary.lifecycleStages.find((stage) => stage.stage === 'CHURNED')!.count;
    expect(after).toMatchObject({ totalCustomers: before.totalCustomers + 1, churnedCustomers: before.churnedCustomers + 1 });
    expect(churnedStage(after)).toBe(churnedStage(before) + 1);
    // The book still to keep is the one it was: the same tiers, ARR and averages.
    expect(after.tiers).toEqual(before.tiers);
    expect(after.averageScore).toBe(before.averageScore);
    expect(after.components).toEqual(before.components);
    expect(read.customers.edges.map((edge) => edge.node.id)).not.toContain(input.id);
    expect(read.healthScores.edges.map((edge) => edge.node.customerId)).not.toContain(input.id);
  });

  it("sums a tier's ARR past 2^53 cents without failing the summary", async () => {
    // Recent sign-ups, in a tier while not used yet (see above).
    const signedUpAt = daysAgo(20);
    const ids = ['cust_huge_1', 'cust_huge_2'];
    const tierOf = (summary: { tiers: Array<{ tier: string; count: number }> }) => new Map(summary.tiers.map((t) => [t.tier, t.count]));
    const before = tierOf((await server.gql(SummaryDocument, {})).healthSummary);
    for (const id of ids) {
      await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: Number.MAX_SAFE_INTEGER, signedUpAt } });
      await server.gql(RefreshHealthScoreDocument, { customerId: id });
    }
    const summary = await server.request(SummaryDocument, {});
    expect(summary.errors).toBeUndefined();
    // Both accounts (the same signals: none) are in one tier, whose total is twice the largest SafeInt.
    const grown = summary.data!.healthSummary!.tiers.find((t) => t.count === (before.get(t.tier) ?? 0) + 2)!;
    expect(grown.arrCents).toBeGreaterThanOrEqual(2 * Number.MAX_SAFE_INTEGER);
    // Cancelled, they leave the tiers, so the tests after this one see the book they saw before.
    const churnedAt = new Date(Date.now() - 60_000).toISOString();
    for (const id of ids) await server.gql(UpsertCustomerDocument, { input: { id, name: id, churnedAt } });
  });

  it('scores 24 or 224 customers with the same number of SQL statements', async () => {
    // On a database of its own: a full run scores every customer, and which of a batch's conditional
    // statements it sends (warmed-up flags, the expansion hold, outreach and deliveries, history links)
    // follows what its accounts' data says as of the run's instant. This file's earlier accounts, their
    // events dated from the wall clock, may take one of them in both counted runs or in one only.
    const own = await startTestServer({ label: 'scoring_count', env: { RESCORE_DEBOUNCE_MS: '0' } });
    try {
      const countStatements = async (work: () => Promise<unknown>) => (await statementsDuring(own.app.orm, work)).length;
      // Both counted runs meet accounts scored before and new ones, so both write scores, state and tier changes.
      for (let i = 0; i < 4; i++) await own.gql(UpsertCustomerDocument, { input: { id: `cust_settled_${i}`, name: `Settled ${i}` } });
      await own.gql(RefreshAllDocument, {});
      for (let i = 0; i < 20; i++) await own.gql(UpsertCustomerDocument, { input: { id: `cust_bulk_a${i}`, name: `Bulk A${i}` } });
      const few = await countStatements(() => own.gql(RefreshAllDocument, {}));
      for (let i = 0; i < 200; i++) await own.gql(UpsertCustomerDocument, { input: { id: `cust_bulk_b${i}`, name: `Bulk B${i}` } });
      const many = await countStatements(() => own.gql(RefreshAllDocument, {}));
      expect(many).toBe(few);
      // Whether a bulk load holds live scoring off (a run as of now is refused then), the run's row, its
      // model, one batch's reads and writes, the batch's progress on the row, the outcome.
      expect(many).toBeLessThanOrEqual(23);
    } finally {
      await own.stop();
    }
  });

  it('answers each of many scorings of one account at once, and logs a suppression once', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_burst', name: 'Burst Co', arrCents: 8_000_000, signedUpAt: daysAgo(200) },
    });
    await server.gql(TrackEngagementBatchDocument, { events: activity('cust_burst', range(20, 80)) });
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_burst', asOf: daysAgo(25) });
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_burst' });
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => server.request(RefreshHealthScoreDocument, { customerId: 'cust_burst' })),
    );
    expect(answers.filter((answer) => answer.errors)).toEqual([]);
    const log = await server.gql(OutreachLogDocument, { customerId: 'cust_burst', status: 'SUPPRESSED_COOLDOWN', first: 100 });
    const suppressed = log.outreachLog.edges.map(({ node }) => `${node.playbook}:${node.action}`);
    expect(suppressed.length).toBeGreaterThan(0);
    expect(suppressed).toEqual([...new Set(suppressed)]);
  });
});

describe('scoring model', () => {
  it('serves the default model and refuses invalid ones', async () => {
    const { scoringModel } = await server.gql(CurrentModelDocument, {});
    expect(scoringModel.tiers.map((t) => [t.key, t.lowerBound])).toEqual([
      ['healthy', 70],
      ['monitor', 50],
      ['at_risk', 30],
      ['critical', 0],
    ]);
    const config = scoringModel.config as {
      tiers: Array<{ lowerBound: number }>;
      components: Array<{ signals: Array<{ weight: number }> }>;
    };
    const gap = structuredClone(config);
    gap.tiers = gap.tiers.filter((t) => t.lowerBound !== 0);
    const gapResult = await server.request(UpdateModelDocument, { input: { config: gap } });
    expect(gapResult.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const zero = structuredClone(config);
    zero.components.forEach((c) => c.signals.forEach((s) => (s.weight = 0)));
    expect((await server.request(UpdateModelDocument, { input: { config: zero } })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const negative = structuredClone(config);
    negative.components[0].signals[0].weight = -1;
    expect((await server.request(UpdateModelDocument, { input: { config: negative } })).errors?.[0].extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    // A config that is not an object is named as such, with a preset too (not read as a model whose "0" is unknown).
    for (const notAModel of ['x', [1], 5]) {
      const refused = await server.request(UpdateModelDocument, { input: { config: notAModel, tierPreset: 'four_tier' } });
      expect(refused.errors?.[0].message).toBe('config must be a scoring model (a JSON object)');
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'config' });
    }
    // A falsy config is a config sent, not a preset alone: refused, not read as "lay the preset over the active model".
    for (const falsy of [false, 0, '']) {
      const refused = await server.request(UpdateModelDocument, { input: { config: falsy, tierPreset: 'three_tier' } });
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'config' });
      expect(refused.data?.updateScoringModel).toBeNull();
    }
    expect((await server.gql(CurrentModelDocument, {})).scoringModel.version).toBe(1);
  });

  it('checks a config sent with a preset as the model it is before laying the preset over it', async () => {
    const { scoringModel } = await server.gql(CurrentModelDocument, {});
    const { playbooks: _playbooks, ...withoutPlaybooks } = structuredClone(scoringModel.config as Record<string, unknown>);
    const textTiers = { ...structuredClone(scoringModel.config as Record<string, unknown>), tiers: 'x' };
    const objectTiers = { ...structuredClone(scoringModel.config as Record<string, unknown>), tiers: { healthy: 70 } };
    for (const [config, problem] of [
      [withoutPlaybooks, 'playbooks must be a list'],
      [textTiers, 'tiers must be a list'],
      [objectTiers, 'tiers must be a list'],
    ] as const) {
      const refused = await server.request(UpdateModelDocument, { input: { config, tierPreset: 'three_tier' } });
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input' });
      expect(refused.errors?.[0].extensions?.problems).toContain(problem);
      expect(refused.errors?.[0].message).not.toMatch(/undefined|is not a function|Cannot read/);
    }
    expect((await server.gql(CurrentModelDocument, {})).scoringModel.version).toBe(scoringModel.version);
  });

  it('activates a preset as a new version that later scores record', async () => {
    const { updateScoringModel } = await server.gql(UpdateModelDocument, { input: { tierPreset: 'five_band_thriving' } });
    expect(updateScoringModel.version).toBe(2);
    expect(updateScoringModel.tiers.map((t) => t.key)).toEqual(['thriving', 'healthy', 'at_risk', 'churning', 'critical']);
    const { refreshHealthScore } = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_healthy' });
    expect(refreshHealthScore.modelVersion).toBe(2);
    expect(['thriving', 'healthy']).toContain(refreshHealthScore.tier);
    const unknown = await server.request(UpdateModelDocument, { input: { tierPreset: 'nine_tier' } });
    expect(unknown.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("applies a preset given with a config to that config: its weights, the preset's tiers", async () => {
    const current = await server.request<{ scoringModel: { config: ScoringModelConfig } }, unknown>('{ scoringModel { config } }');
    const config = structuredClone(current.data!.scoringModel.config);
    config.components[0].signals[0].weight = 7;
    const { updateScoringModel } = await server.gql(UpdateModelDocument, { input: { config, tierPreset: 'three_tier' } });
    expect(updateScoringModel.tiers.map((t) => t.key)).toEqual(['healthy', 'at_risk', 'critical']);
    const stored = await server.request<{ scoringModel: { version: number; config: ScoringModelConfig } }, unknown>(
      '{ scoringModel { version config } }',
    );
    expect(stored.data!.scoringModel.version).toBe(updateScoringModel.version);
    expect(stored.data!.scoringModel.config.components[0].signals[0].weight).toBe(7);
  });
});
