// Activating a model version rescores everyone in the background, so tiers, summaries and the
// worklist agree with the model now active; the presets are listed for the asking.
import { DEFAULT_SCORING_MODEL, ScoringModelConfig, scoresAlike, scoresComputedAlike } from '../../src/scoring/model';
import { MODEL_SCORING_SQL } from '../../src/scoring/scoring-model.service';
import { holdingRescoring } from '../../src/scoring/bulk-load-hold';
import { sql } from '../helpers/database';
import { tierChangesOffTheirPoints } from '../helpers/history';
import { busyDays, daysAgo } from '../helpers/busy-account';
import { startTestServer, TestServer } from '../helpers/server';
import { connect, subscribe } from '../helpers/subscriptions';
import { OnTierChangedDocument } from '../__generated__/graphql';
import { Client } from 'pg';

let server: TestServer;

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);
/** A red flag no account raises: a model with it scores everyone as the model without it, yet is another way of scoring. */
const NEVER_RAISED = { name: 'never_raised', metric: 'open_tickets', windowDays: 30, direction: 'at_least', threshold: 1000, points: 1 };

beforeAll(async () => {
  // The scheduler on (hourly runs), continuous rescoring off: only the activation runs anything.
  server = await startTestServer({ label: 'model_activation', env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } });
  await server.app.scheduler.idle();
  // Signed up weeks ago and not used yet: onboarding, in a tier (never used for months, they would be churned by their silence).
  for (const id of ['cust_act_1', 'cust_act_2', 'cust_act_3']) {
    await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(20)}" }) { id } }`);
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

it('runs no expansion play on a declining account that an activation alone reads as STABLE', async () => {
  // The default model with a small flag for an open ticket: a busy account at the top of "healthy"
  // drops a few points as a ticket opens, and its trend reads DECLINING.
  const config = {
    ...DEFAULT_SCORING_MODEL,
    penalties: [
      ...DEFAULT_SCORING_MODEL.penalties,
      { name: 'open_ticket', metric: 'open_tickets', windowDays: 30, direction: 'at_least', threshold: 1, points: 6 },
    ],
  };
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
  await server.app.scheduler.idle();
  const id = 'cust_act_falling';
  const events = Array.from({ length: 360 }, (_, i) => ({
    customerId: id,
    eventType: 'login',
    userId: `u${i % 3}`,
    feature: `f${Math.floor(i / 3) % 3}`,
    occurredAt: daysAgo(Math.floor(i / 3) + 0.5),
  }));
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "Falling", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  await ok(`mutation { refreshHealthScore(customerId: "${id}", asOf: "${daysAgo(10)}") { score } }`);
  await ok(
    `mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "t1", openedAt: "${daysAgo(1)}", status: OPEN, severity: LOW }) { id } }`,
  );
  const falling = await ok<{ refreshHealthScore: { score: number; tier: string; trend: string } }>(
    `mutation { refreshHealthScore(customerId: "${id}") { score tier trend } }`,
  );
  // In the best tier above the expansion play's 90, but falling: no upsell.
  expect(falling.refreshHealthScore).toMatchObject({ tier: 'healthy', trend: 'DECLINING' });
  expect(falling.refreshHealthScore.score).toBeGreaterThanOrEqual(90);
  const expansion = `{ outreachLog(customerId: "${id}", playbook: "expansion") { totalCount } }`;
  expect((await ok<{ outreachLog: { totalCount: number } }>(expansion)).outreachLog.totalCount).toBe(0);

  // Another version whose scores are this one's (it adds a flag no account raises), yet another way of
  // scoring: its first points have no earlier point that scored alike, so the trend reads STABLE for a
  // week; the account is still the falling one it was, and gets no upsell.
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', {
    config: { ...config, penalties: [...config.penalties, NEVER_RAISED] },
  });
  await server.app.scheduler.idle();
  const rescored = await ok<{ customer: { trend: string; currentScore: { modelVersion: number } } }>(
    `{ customer(id: "${id}") { trend currentScore { modelVersion } } }`,
  );
  expect(rescored.customer.trend).toBe('STABLE');
  expect((await ok<{ outreachLog: { totalCount: number } }>(expansion)).outreachLog.totalCount).toBe(0);
});

it("compares points across a version that changes only playbook settings: a decline, a drop and a worse tier stay the account's", async () => {
  // The default model with a heavy flag for an open ticket: a busy account falls from the top of
  // healthy into at_risk as a ticket opens.
  const config = {
    ...DEFAULT_SCORING_MODEL,
    penalties: [
      ...DEFAULT_SCORING_MODEL.penalties,
      { name: 'open_ticket', metric: 'open_tickets', windowDays: 30, direction: 'at_least', threshold: 1, points: 50 },
    ],
  };
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
  await server.app.scheduler.idle();
  const since = new Date().toISOString();
  const ticket = (customerId: string, days: number) =>
    ok(
      `mutation { recordSupportTicket(input: { customerId: "${customerId}", externalId: "t1", openedAt: "${daysAgo(days)}", status: OPEN, severity: LOW }) { id } }`,
    );
  const score = (customerId: string, asOf?: string) =>
    ok<{ refreshHealthScore: { score: number; tier: string; trend: string; modelVersion: number } }>(
      `mutation { refreshHealthScore(customerId: "${customerId}"${asOf ? `, asOf: "${asOf}"` : ''}) { score tier trend modelVersion } }`,
    ).then((data) => data.refreshHealthScore);
  const triggers = async (customerId: string) =>
    (
      await ok<{ outreachLog: { edges: Array<{ node: { playbook: string; trigger: string } }> } }>(
        `{ outreachLog(customerId: "${customerId}") { edges { node { playbook trigger } } } }`,
      )
    ).outreachLog.edges.map((edge) => edge.node);
  // One account in at_risk and falling before the edit, another falling after it; both healthy ten days ago.
  const falling = 'cust_act_pb_falling';
  const dropping = 'cust_act_pb_dropping';
  for (const id of [falling, dropping]) {
    await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(200)}" }) { id } }`);
    await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', {
      events: busyDays(id),
    });
    expect(await score(id, daysAgo(10))).toMatchObject({ tier: 'healthy' });
  }
  await ticket(falling, 3);
  expect(await score(falling, daysAgo(2))).toMatchObject({ tier: 'at_risk', trend: 'DECLINING' });

  // An admin rewords the critical playbook's alert, lengthens the cooldown and adds a team action to at_risk.
  const runs = async () => (await ok<{ scoringRuns: { totalCount: number } }>('{ scoringRuns { totalCount } }')).scoringRuns.totalCount;
  const runsBefore = await runs();
  const edited = {
    ...config,
    cooldownDays: config.cooldownDays + 1,
    playbooks: config.playbooks.map((playbook) => {
      if (playbook.key === 'critical')
        return {
          ...playbook,
          actions: playbook.actions.map((action) =>
            action.action === 'csm_alert' ? { ...action, template: `URGENT: ${action.template}` } : action,
          ),
        };
      if (playbook.key === 'at_risk')
        return {
          ...playbook,
          actions: [
            ...playbook.actions,
            { action: 'account_review', audience: 'TEAM', channel: 'CRM_TASK', template: 'Review {{customerName}}.' },
          ],
        };
      return playbook;
    }),
  };
  const { updateScoringModel } = await ok<{ updateScoringModel: { version: number } }>(
    'mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }',
    { config: edited },
  );
  await server.app.scheduler.idle();
  // A new version, but no score, tier or trend to change: nobody is rescored.
  expect(await runs()).toBe(runsBefore);

  // Still declining against its healthy score of ten days ago: the at-risk-and-declining trigger fires.
  expect(await score(falling)).toMatchObject({ tier: 'at_risk', trend: 'DECLINING', modelVersion: updateScoringModel.version });
  expect(await triggers(falling)).toContainEqual({ playbook: 'at_risk', trigger: 'AT_RISK_DECLINING' });
  // A drop under the new version is measured against the points before it: declining, a worse tier,
  // and the move is in the changes feed.
  await ticket(dropping, 1);
  expect(await score(dropping)).toMatchObject({ tier: 'at_risk', trend: 'DECLINING' });
  expect(await triggers(dropping)).toContainEqual({ playbook: 'at_risk', trigger: 'TIER_WORSENED' });
  const feed = await ok<{ changes: { edges: Array<{ node: { kind: string; customerName: string; fromTier: string; toTier: string } }> } }>(
    `{ changes(since: "${since}", first: 50) { edges { node { kind customerName fromTier toTier } } } }`,
  );
  expect(feed.changes.edges.map((edge) => edge.node)).toContainEqual({
    kind: 'TIER_CHANGED',
    customerName: dropping,
    fromTier: 'healthy',
    toTier: 'at_risk',
  });

  // A change of what scores (here a flag no account raises) is a model change: rescored, the trend
  // not measured across it until a week of points under the new version.
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', {
    config: { ...edited, penalties: [...edited.penalties, NEVER_RAISED] },
  });
  await server.app.scheduler.idle();
  expect(await runs()).toBe(runsBefore + 1);
  expect((await ok<{ customer: { tier: string; trend: string } }>(`{ customer(id: "${falling}") { tier trend } }`)).customer).toEqual({
    tier: 'at_risk',
    trend: 'STABLE',
  });
});

it('reads a rollback (A, then B, then A again) as a model change: the fall B saw is not alerted again by the run, and the trend reads STABLE', async () => {
  // A: the default model with a heavy flag for an open ticket. B: another way of scoring (a flag no
  // account raises). The third version is A's config again: a rollback, a new version.
  const modelA = {
    ...DEFAULT_SCORING_MODEL,
    penalties: [
      ...DEFAULT_SCORING_MODEL.penalties,
      { name: 'open_ticket', metric: 'open_tickets', windowDays: 30, direction: 'at_least', threshold: 1, points: 50 },
    ],
  };
  const modelB = { ...modelA, penalties: [...modelA.penalties, NEVER_RAISED] };
  const activate = async (config: object) => {
    await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
    await server.app.scheduler.idle();
  };
  await activate(modelA);
  const id = 'cust_act_rollback';
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "Rollback", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events: busyDays(id) });
  // Healthy ten days ago, under A: the point a trend a week later, and a drop within two weeks, compare with.
  const healthy = await ok<{ refreshHealthScore: { score: number; tier: string } }>(
    `mutation { refreshHealthScore(customerId: "${id}", asOf: "${daysAgo(10)}") { score tier } }`,
  );
  expect(healthy.refreshHealthScore.tier).toBe('healthy');

  // B is activated, and the account falls while it is live: B's scoring sees the fall and alerts.
  await activate(modelB);
  await ok(
    `mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "t1", openedAt: "${daysAgo(1)}", status: OPEN, severity: LOW }) { id } }`,
  );
  const fallen = await ok<{ refreshHealthScore: { score: number; tier: string } }>(
    `mutation { refreshHealthScore(customerId: "${id}") { score tier } }`,
  );
  expect(fallen.refreshHealthScore.tier).toBe('at_risk');
  expect(healthy.refreshHealthScore.score - fallen.refreshHealthScore.score).toBeGreaterThanOrEqual(modelA.scoreDrop.points);

  // Rolled back to A. Its run measures nothing against A's old points across B: no score drop or
  // decline alerted again, and the trend is not measured until a week of points under it.
  const rolledBackAt = new Date().toISOString();
  await activate(modelA);
  const after = await ok<{ customer: { tier: string; trend: string } }>(`{ customer(id: "${id}") { tier trend } }`);
  expect(after.customer).toEqual({ tier: 'at_risk', trend: 'STABLE' });
  const log = await ok<{ outreachLog: { edges: Array<{ node: { trigger: string; createdAt: string } }> } }>(
    `{ outreachLog(customerId: "${id}", from: "${rolledBackAt}") { edges { node { trigger createdAt } } } }`,
  );
  expect(log.outreachLog.edges.map((edge) => edge.node.trigger)).toEqual([]);
});

it('lists a tier move whose earlier point a backfill under a later version of the same run relinked, by its pair of versions', async () => {
  // The model with the heavy ticket flag, active after the rollback above.
  const { scoringModel } = await ok<{ scoringModel: { version: number; config: typeof DEFAULT_SCORING_MODEL } }>(
    '{ scoringModel { version config } }',
  );
  const id = 'cust_act_relinked';
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "Relinked", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events: busyDays(id) });
  expect(
    (
      await ok<{ refreshHealthScore: { tier: string } }>(
        `mutation { refreshHealthScore(customerId: "${id}", asOf: "${daysAgo(10)}") { tier } }`,
      )
    ).refreshHealthScore.tier,
  ).toBe('healthy');
  await ok(
    `mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "t1", openedAt: "${daysAgo(1)}", status: OPEN, severity: LOW }) { id } }`,
  );
  const since = new Date().toISOString();
  expect(
    (await ok<{ refreshHealthScore: { tier: string } }>(`mutation { refreshHealthScore(customerId: "${id}") { tier } }`)).refreshHealthScore
      .tier,
  ).toBe('at_risk');
  // Two edits of playbook settings, then a backfill under the second, two days ago: the live point's
  // move is now from that point, of a later version than its own.
  let latest = scoringModel.version;
  for (const days of [1, 2]) {
    const config = { ...scoringModel.config, cooldownDays: scoringModel.config.cooldownDays + days };
    latest = (
      await ok<{ updateScoringModel: { version: number } }>(
        'mutation ($c: JSON!) { updateScoringModel(input: { config: $c }) { version } }',
        { c: config },
      )
    ).updateScoringModel.version;
  }
  await server.app.scheduler.idle();
  expect(
    (
      await ok<{ refreshHealthScore: { tier: string } }>(
        `mutation { refreshHealthScore(customerId: "${id}", asOf: "${daysAgo(2)}") { tier } }`,
      )
    ).refreshHealthScore.tier,
  ).toBe('healthy');
  const moves = await ok<{
    tierChanges: { edges: Array<{ node: { fromTier: string; toTier: string; modelVersion: number; fromModelVersion: number } }> };
  }>(`{ tierChanges(customerId: "${id}", since: "${since}") { edges { node { fromTier toTier modelVersion fromModelVersion } } } }`);
  expect(moves.tierChanges.edges.map((edge) => edge.node)).toEqual([
    { fromTier: 'healthy', toTier: 'at_risk', modelVersion: scoringModel.version, fromModelVersion: latest },
  ]);
  const feed = await ok<{ changes: { edges: Array<{ node: { kind: string; customerId: string; fromTier: string; toTier: string } }> } }>(
    `{ changes(since: "${since}", first: 500) { edges { node { kind customerId fromTier toTier } } } }`,
  );
  expect(feed.changes.edges.map((edge) => edge.node).filter((node) => node.customerId === id)).toEqual([
    { kind: 'TIER_CHANGED', customerId: id, fromTier: 'healthy', toTier: 'at_risk' },
  ]);
});

it('leaves a cancelled account in the tier it left in when the new tier scheme has no such tier: no tier change, nothing published', async () => {
  // One tier for every score, which the default tiers do not have.
  const oneTier = {
    ...DEFAULT_SCORING_MODEL,
    tiers: [{ key: 'everyone', label: 'Everyone', lowerBound: 0, severity: 0 }],
    playbooks: DEFAULT_SCORING_MODEL.playbooks.filter((playbook) => playbook.kind !== 'tier'),
  };
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config: oneTier });
  await server.app.scheduler.idle();
  const id = 'cust_act_left';
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "Left", signedUpAt: "${daysAgo(120)}" }) { id } }`);
  const scored = await ok<{ refreshHealthScore: { tier: string } }>(`mutation { refreshHealthScore(customerId: "${id}") { tier } }`);
  expect(scored.refreshHealthScore.tier).toBe('everyone');
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "Left", churnedAt: "${daysAgo(1)}", churnReason: "budget" }) { id } }`);
  const changes = `{ tierChanges(customerId: "${id}") { edges { node { fromTier toTier } } } }`;
  const before = await ok<{ tierChanges: { edges: unknown[] } }>(changes);

  const client = connect(server.wsUrl);
  const live = await subscribe(client, OnTierChangedDocument, { customerId: id });
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
  const after = await ok<{ customer: { tier: string; lifecycleStage: string; currentScore: { modelVersion: number } } }>(
    `{ customer(id: "${id}") { tier lifecycleStage currentScore { modelVersion } } }`,
  );
  // Rescored under the new version, yet still in the tier it left in: a cancelled account changes no tier.
  expect(after.customer).toMatchObject({ tier: 'everyone', lifecycleStage: 'CHURNED' });
  expect((await ok<{ tierChanges: { edges: unknown[] } }>(changes)).tierChanges.edges).toEqual(before.tierChanges.edges);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(live.events).toEqual([]);
  await live.close();
  await client.dispose();
});

it('runs one full run for activations sent while one runs, under the model active last, not one per activation', async () => {
  await server.app.scheduler.idle();
  const runs = async () => (await ok<{ scoringRuns: { totalCount: number } }>('{ scoringRuns { totalCount } }')).scoringRuns.totalCount;
  const before = await runs();
  // The first activation's run waits on a customer's row while the others come.
  const holder = new Client({ connectionString: server.database.url });
  await holder.connect();
  await holder.query('begin');
  await holder.query("select 1 from customer where id = 'cust_act_1' for update");
  // An admin script switching presets in a loop: every activation once queued a full run of everyone,
  // and the scheduler's queue, in which the rescoring of new signals waits too, grew with them.
  const presets = ['three_tier', 'five_band_stable', 'five_band_thriving', 'four_tier'];
  for (let i = 0; i < 12; i++) await ok(`mutation { updateScoringModel(input: { tierPreset: "${presets[i % 4]}" }) { version } }`);
  const { scoringModel } = await ok<{ scoringModel: { version: number } }>('{ scoringModel { version } }');
  await holder.query('commit');
  await holder.end();
  await server.app.scheduler.idle();
  // One run for the first activation, if it read the model before the second came (it then waits on
  // the held row), and one for all the others; or one for all, when the machine is slow enough that the
  // second came before the first run read the model (joined to it: the next test). Never one each.
  const ran = (await runs()) - before;
  expect(ran).toBeGreaterThanOrEqual(1);
  expect(ran).toBeLessThanOrEqual(2);
  const latest = await ok<{ healthScores: { edges: Array<{ node: { modelVersion: number } }> } }>(
    '{ healthScores { edges { node { modelVersion } } } }',
  );
  expect(new Set(latest.healthScores.edges.map((e) => e.node.modelVersion))).toEqual(new Set([scoringModel.version]));
});

it('joins an activation that comes before the run of the one before has read the model to that run', async () => {
  await server.app.scheduler.idle();
  const runs = async () => (await ok<{ scoringRuns: { totalCount: number } }>('{ scoringRuns { totalCount } }')).scoringRuns.totalCount;
  const before = await runs();
  // A bulk load going on: the first activation's run has started and waits for it before it takes its
  // lock and reads the model; the second activation comes meanwhile, as two sent 54 ms apart did.
  let second = 0;
  await holdingRescoring(server.database.url, async () => {
    await ok('mutation { updateScoringModel(input: { tierPreset: "three_tier" }) { version } }');
    const activated = await ok<{ updateScoringModel: { version: number } }>(
      'mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }',
    );
    second = activated.updateScoringModel.version;
  });
  await server.app.scheduler.idle();
  // One run, under the second version: a second run would score everyone again under the same model.
  expect(await runs()).toBe(before + 1);
  const latest = await ok<{ healthScores: { edges: Array<{ node: { modelVersion: number } }> } }>(
    '{ healthScores { edges { node { modelVersion } } } }',
  );
  expect(new Set(latest.healthScores.edges.map((e) => e.node.modelVersion))).toEqual(new Set([second]));
});

it('changes nothing for a config equal to the active one: no new version, no run, the active model as the answer', async () => {
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
  const runs = async () => (await ok<{ scoringRuns: { totalCount: number } }>('{ scoringRuns { totalCount } }')).scoringRuns.totalCount;
  const before = await runs();
  const { scoringModel } = await ok<{ scoringModel: { version: number; createdAt: string; config: Record<string, unknown> } }>(
    '{ scoringModel { version createdAt config } }',
  );
  // The preset already applied, and the same config with its keys in another order.
  const again = await ok<{ updateScoringModel: { version: number; active: boolean; createdAt: string } }>(
    'mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version active createdAt } }',
  );
  expect(again.updateScoringModel).toEqual({ version: scoringModel.version, active: true, createdAt: scoringModel.createdAt });
  const reordered = Object.fromEntries(Object.entries(scoringModel.config).reverse());
  const same = await ok<{ updateScoringModel: { version: number } }>(
    'mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }',
    { config: reordered },
  );
  expect(same.updateScoringModel.version).toBe(scoringModel.version);
  await server.app.scheduler.idle();
  expect(await runs()).toBe(before);
  const [{ versions }] = await sql<{ versions: number }>(server.database, 'select max(version)::int as versions from scoring_model');
  expect(versions).toBe(scoringModel.version);
});

it("lays a tier preset over the model active when its turn comes, keeping another admin's change activated a moment before", async () => {
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
  for (let trial = 0; trial < 6; trial++) {
    const { scoringModel } = await ok<{ scoringModel: { config: Record<string, unknown> } }>('{ scoringModel { config } }');
    const changed = { ...scoringModel.config, cooldownDays: 10 + trial };
    // Sent together: whichever commits last, the cooldown survives (a config replaces the model whole;
    // a preset changes only its tiers and playbooks).
    await Promise.all([
      ok('mutation ($c: JSON!) { updateScoringModel(input: { config: $c }) { version } }', { c: changed }),
      ok('mutation { updateScoringModel(input: { tierPreset: "five_band_stable" }) { version } }'),
    ]);
    const after = await ok<{ scoringModel: { config: { cooldownDays: number } } }>('{ scoringModel { config } }');
    expect(after.scoringModel.config.cooldownDays).toBe(10 + trial);
  }
  await server.app.scheduler.idle();
});

it("keeps the active model's playbooks when a preset changes the tiers, and changes nothing for the preset whose tiers are active", async () => {
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
  type Playbook = { key: string; actions: Array<{ action: string; template: string }> };
  type Model = { version: number; config: { playbooks: Playbook[] } & Record<string, unknown> };
  const { scoringModel } = await ok<{ scoringModel: Model }>('{ scoringModel { version config } }');
  // No customer-facing monitor playbook, and an alert of the team's own words.
  const edited = {
    ...scoringModel.config,
    playbooks: scoringModel.config.playbooks
      .filter((playbook) => playbook.key !== 'monitor')
      .map((playbook) =>
        playbook.key === 'critical'
          ? {
              ...playbook,
              actions: playbook.actions.map((a) => (a.action === 'csm_alert' ? { ...a, template: `URGENT: ${a.template}` } : a)),
            }
          : playbook,
      ),
  };
  const update = (input: string, variables?: Record<string, unknown>) =>
    ok<{ updateScoringModel: Model }>(
      `mutation ${variables ? '($config: JSON!) ' : ''}{ updateScoringModel(input: ${input}) { version config } }`,
      variables,
    ).then((data) => data.updateScoringModel);
  const keys = (model: Model) => model.config.playbooks.map((playbook) => playbook.key);
  const alert = (model: Model) =>
    model.config.playbooks.find((playbook) => playbook.key === 'critical')?.actions.find((a) => a.action === 'csm_alert')?.template;
  const mine = await update('{ config: $config }', { config: edited });
  expect(keys(mine)).toEqual(['critical', 'at_risk', 'silence', 'expansion']);

  // The preset whose tiers the model has: no new version, the monitor playbook still gone.
  const same = await update('{ tierPreset: "four_tier" }');
  expect(same.version).toBe(mine.version);
  expect(keys(same)).toEqual(keys(mine));
  const presets = await ok<{ scoringModelPresets: Array<{ name: string; active: boolean }> }>('{ scoringModelPresets { name active } }');
  expect(presets.scoringModelPresets.filter((preset) => preset.active).map((preset) => preset.name)).toEqual(['four_tier']);

  // Five bands and back: the tiers both have keep their playbooks as the team wrote them; a tier new
  // to the model gets the preset's default playbook, and one the preset has not loses its own.
  const five = await update('{ tierPreset: "five_band_thriving" }');
  expect(keys(five)).toEqual(['critical', 'at_risk', 'churning', 'silence', 'expansion']);
  expect(alert(five)).toMatch(/^URGENT: /);
  const back = await update('{ tierPreset: "four_tier" }');
  expect(keys(back)).toEqual(['critical', 'at_risk', 'monitor', 'silence', 'expansion']);
  expect(alert(back)).toMatch(/^URGENT: /);
  await server.app.scheduler.idle();
});

it("activates a preset whose new tier has the key of a playbook the model keeps: the new tier's playbook takes a free key", async () => {
  type Playbook = { key: string; kind: string; tierKey?: string };
  const { scoringModel } = await ok<{ scoringModel: { config: { playbooks: Playbook[] } } }>('{ scoringModel { config } }');
  const playbooks = scoringModel.config.playbooks.map((p) => (p.kind === 'silence' ? { ...p, key: 'churning' } : p));
  const config = { ...scoringModel.config, playbooks };
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
  const keyed = (data: { updateScoringModel: { config: { playbooks: Playbook[] } } }) =>
    data.updateScoringModel.config.playbooks.map((p) => [p.key, p.tierKey ?? p.kind]);
  const expected = [
    ['critical', 'critical'],
    ['at_risk', 'at_risk'],
    ['churning_tier', 'churning'],
    ['churning', 'silence'],
    ['expansion', 'expansion'],
  ];
  const over = await ok<{ updateScoringModel: { config: { playbooks: Playbook[] } } }>(
    'mutation { updateScoringModel(input: { tierPreset: "five_band_thriving" }) { config } }',
  );
  expect(keyed(over)).toEqual(expected);
  // Sent with that config: the preset laid over it the same way.
  const withConfig = await ok<{ updateScoringModel: { config: { playbooks: Playbook[] } } }>(
    'mutation ($config: JSON!) { updateScoringModel(input: { config: $config, tierPreset: "five_band_thriving" }) { config } }',
    { config },
  );
  expect(keyed(withConfig)).toEqual(expected);
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', {
    config: { ...config, playbooks: scoringModel.config.playbooks },
  });
  await server.app.scheduler.idle();
});

it('reads any stored version, active or not, so that an admin can roll back to it without a copy of their own', async () => {
  const active = await ok<{ scoringModel: { version: number; active: boolean } }>('{ scoringModel { version active } }');
  expect(active.scoringModel).toMatchObject({ active: true });
  const first = await ok<{ scoringModel: { version: number; active: boolean; config: { tiers: Array<{ key: string }> } } }>(
    '{ scoringModel(version: 1) { version active config } }',
  );
  expect(first.scoringModel).toMatchObject({ version: 1, active: active.scoringModel.version === 1 });
  expect(first.scoringModel.config).toEqual(JSON.parse(JSON.stringify(DEFAULT_SCORING_MODEL)));
  // Rolled back by activating its config again: a new version, the same model.
  const rolledBack = await ok<{ updateScoringModel: { version: number } }>(
    'mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }',
    { config: first.scoringModel.config },
  );
  expect(rolledBack.updateScoringModel.version).toBeGreaterThan(active.scoringModel.version);
  const now = await ok<{ scoringModel: { version: number; config: unknown } }>('{ scoringModel { version config } }');
  expect(now.scoringModel).toEqual({ version: rolledBack.updateScoringModel.version, config: first.scoringModel.config });
  expect((await ok<{ scoringModel: { active: boolean } }>('{ scoringModel(version: 1) { active } }')).scoringModel.active).toBe(false);
  await server.app.scheduler.idle();

  const unknown = await server.request('{ scoringModel(version: 999999) { version } }');
  expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'version' });
  const refused = await server.request('{ scoringModel(version: 0) { version } }');
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'version' });
});

it('takes a tier preset named with white space around it, as every text argument is trimmed', async () => {
  const padded = await ok<{ updateScoringModel: { tiers: Array<{ key: string }> } }>(
    'mutation { updateScoringModel(input: { tierPreset: "  three_tier " }) { tiers { key } } }',
  );
  expect(padded.updateScoringModel.tiers.map((t) => t.key)).toEqual(['healthy', 'at_risk', 'critical']);
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
});

it('refuses a tier preset name longer than any string argument takes as too long, not as an unknown preset', async () => {
  const refused = await server.request('mutation ($input: ScoringModelInput!) { updateScoringModel(input: $input) { version } }', {
    input: { tierPreset: 'x'.repeat(10_001) },
  });
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'tierPreset', max: 10_000 });
  expect(refused.errors?.[0].message).toBe('tierPreset is longer than 10000 characters');
});

it('lays a tier preset over an active model stored before a cap on fixed points was refused, dropping that cap', async () => {
  // What a version stored before the rule looks like: maxPoints on a penalty without perUnit, which never took effect.
  const config = JSON.parse(JSON.stringify(DEFAULT_SCORING_MODEL));
  const fixed = config.penalties.findIndex((p: { perUnit?: boolean }) => p.perUnit !== true);
  config.penalties[fixed].maxPoints = 20;
  await sql(server.database, 'update scoring_model set active = false where active');
  await sql(
    server.database,
    `insert into scoring_model (version, config, active) select max(version) + 1, $1::jsonb, true from scoring_model`,
    [JSON.stringify(config)],
  );
  const preset = await ok<{ updateScoringModel: { config: { penalties: Array<Record<string, unknown>> } } }>(
    'mutation { updateScoringModel(input: { tierPreset: "three_tier" }) { config } }',
  );
  expect(preset.updateScoringModel.config.penalties[fixed]).not.toHaveProperty('maxPoints');
  await ok('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  await server.app.scheduler.idle();
});

it('changes, previews and backtests an active model stored with a fraction of a day before whole days were required, refusing only a fraction changed', async () => {
  // What a version stored by an earlier release looks like: half a day of onboarding, a cooldown of a day and a half.
  const stored = JSON.parse(JSON.stringify(DEFAULT_SCORING_MODEL)) as ScoringModelConfig;
  stored.lifecycle.onboardingDays = 14.5;
  stored.playbooks[0].cooldownDays = 1.5;
  await sql(server.database, 'update scoring_model set active = false where active');
  await sql(
    server.database,
    `insert into scoring_model (version, config, active) select max(version) + 1, $1::jsonb, true from scoring_model`,
    [JSON.stringify(stored)],
  );
  const preset = await ok<{ updateScoringModel: { config: ScoringModelConfig } }>(
    'mutation { updateScoringModel(input: { tierPreset: "five_band_thriving" }) { config } }',
  );
  expect(preset.updateScoringModel.config.lifecycle.onboardingDays).toBe(14.5);
  expect(preset.updateScoringModel.config.playbooks[0].cooldownDays).toBe(1.5);
  // The dashboard's what-if: the whole active config, one setting changed; a backtest of it; the same config with a preset.
  const active = preset.updateScoringModel.config;
  const whatIf = { ...active, hysteresis: active.hysteresis + 1 };
  await ok('query ($config: JSON!) { previewScoringModel(config: $config) { changes { customerId } } }', { config: whatIf });
  await ok('query ($input: BacktestInput!) { backtest(input: $input) { instants } }', {
    input: { from: daysAgo(14), to: daysAgo(1), model: { config: whatIf } },
  });
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config, tierPreset: "four_tier" }) { version } }', {
    config: active,
  });
  // A fraction set now is refused, as in any model.
  const changed = await server.request('query ($config: JSON!) { previewScoringModel(config: $config) { changes { customerId } } }', {
    config: { ...active, lifecycle: { ...active.lifecycle, onboardingDays: 14.25 } },
  });
  expect(changed.errors?.[0].extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    problems: ['lifecycle.onboardingDays must be a whole number of days within 1…3650'],
  });
  await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config: DEFAULT_SCORING_MODEL });
  await server.app.scheduler.idle();
});

it('leaves the tier changes a model change made out of the changes feed, and tells them in tierChanges by their model versions', async () => {
  await server.app.scheduler.idle();
  const since = new Date().toISOString();
  const tried = await ok<{ updateScoringModel: { version: number } }>(
    'mutation { updateScoringModel(input: { tierPreset: "five_band_thriving" }) { version } }',
  );
  await server.app.scheduler.idle();
  const back = await ok<{ updateScoringModel: { version: number } }>(
    'mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }',
  );
  await server.app.scheduler.idle();
  const log = await ok<{
    tierChanges: { edges: Array<{ node: { fromTier: string; toTier: string; modelVersion: number; fromModelVersion: number } }> };
  }>(`{ tierChanges(since: "${since}", first: 500) { edges { node { fromTier toTier modelVersion fromModelVersion } } } }`);
  // The busy account moved into thriving and back; nothing else happened to anyone.
  expect(log.tierChanges.edges.map((e) => e.node)).toContainEqual({
    fromTier: 'healthy',
    toTier: 'thriving',
    modelVersion: tried.updateScoringModel.version,
    fromModelVersion: tried.updateScoringModel.version - 1,
  });
  expect(log.tierChanges.edges.map((e) => e.node)).toContainEqual({
    fromTier: 'thriving',
    toTier: 'healthy',
    modelVersion: back.updateScoringModel.version,
    fromModelVersion: tried.updateScoringModel.version,
  });
  for (const { node } of log.tierChanges.edges) expect(node.fromModelVersion).not.toBe(node.modelVersion);
  const feed = await ok<{ changes: { totalCount: number } }>(`{ changes(since: "${since}") { totalCount } }`);
  expect(feed.changes.totalCount).toBe(0);
});

it('places a score in its own band of a new tier scheme: hysteresis holds no tier whose bounds another version set otherwise', async () => {
  await server.app.scheduler.idle();
  const id = 'cust_act_bands';
  // In use every day until 8 days ago: a silence puts its score in the middle of the range.
  const events = Array.from({ length: 82 }, (_, day) => ({
    customerId: id,
    eventType: 'login',
    userId: `u${day % 3}`,
    occurredAt: daysAgo(day + 8.5),
  }));
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "Bands", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  const score = (await ok<{ refreshHealthScore: { score: number } }>(`mutation { refreshHealthScore(customerId: "${id}") { score } }`))
    .refreshHealthScore.score;
  expect(score).toBeGreaterThanOrEqual(6);
  expect(score).toBeLessThanOrEqual(90);
  // The default model with its four tiers moved around this score, and tier hysteresis 2: every band
  // at least 3 points wide, as validateModel requires of a hysteresis of 2.
  const withBands = (healthy: number, monitor: number, atRisk: number) => ({
    ...DEFAULT_SCORING_MODEL,
    hysteresis: 2,
    tiers: DEFAULT_SCORING_MODEL.tiers.map((band) => ({
      ...band,
      lowerBound: { healthy, monitor, at_risk: atRisk, critical: 0 }[band.key],
    })),
  });
  const atRiskAround = withBands(score + 4, score + 1, score - 2);
  const monitorFrom = withBands(score + 3, score, score - 3);
  const atRiskAbove = withBands(score + 7, score + 4, score + 1);
  const activate = async (config: object) => {
    await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
    await server.app.scheduler.idle();
    return ok<{ customer: { healthScore: number; tier: string; lifecycleStage: string } }>(
      `{ customer(id: "${id}") { healthScore tier lifecycleStage } }`,
    );
  };
  const onWorklist = async () =>
    (
      await ok<{ worklist: { edges: Array<{ node: { id: string } }> } }>('{ worklist(first: 500) { edges { node { id } } } }')
    ).worklist.edges.some((edge) => edge.node.id === id);

  expect((await activate(atRiskAround)).customer).toEqual({ healthScore: score, tier: 'at_risk', lifecycleStage: 'AT_RISK' });
  // The preview lists the move that activating the next model makes.
  const preview = await ok<{ previewScoringModel: { changes: Array<{ customerId: string; fromTier: string; toTier: string }> } }>(
    'query ($config: JSON!) { previewScoringModel(config: $config, first: 500) { changes { customerId fromTier toTier } } }',
    { config: monitorFrom },
  );
  expect(preview.previewScoringModel.changes.filter((move) => move.customerId === id)).toEqual([
    { customerId: id, fromTier: 'at_risk', toTier: 'monitor' },
  ]);
  // Within 2 points of the at_risk that ends at the score, yet at_risk no longer holds it: its bounds moved.
  expect((await activate(monitorFrom)).customer).toEqual({ healthScore: score, tier: 'monitor', lifecycleStage: 'ACTIVE' });
  expect(await onWorklist()).toBe(false);
  expect((await activate(atRiskAround)).customer).toMatchObject({ healthScore: score, tier: 'at_risk' });
  // The other way: at_risk moved 1 point above the score, which is critical there.
  expect((await activate(atRiskAbove)).customer).toEqual({ healthScore: score, tier: 'critical', lifecycleStage: 'AT_RISK' });
  expect(await onWorklist()).toBe(true);
  const changes = await ok<{ tierChanges: { edges: Array<{ node: { fromTier: string | null; toTier: string } }> } }>(
    `{ tierChanges(customerId: "${id}", first: 50) { edges { node { fromTier toTier } } } }`,
  );
  // After its first tier under the default model, oldest first.
  expect(changes.tierChanges.edges.slice(-4).map((edge) => [edge.node.fromTier, edge.node.toTier])).toEqual([
    [expect.any(String), 'at_risk'],
    ['at_risk', 'monitor'],
    ['monitor', 'at_risk'],
    ['at_risk', 'critical'],
  ]);
  // Scored as of an instant between its last two points (a backfill): from the at_risk of the version
  // before, under the one active now, critical too.
  const history = await ok<{ customer: { scoreHistory: { edges: Array<{ node: { asOf: string } }> } } }>(
    `{ customer(id: "${id}") { scoreHistory(first: 50) { edges { node { asOf } } } } }`,
  );
  const [latest, before] = history.customer.scoreHistory.edges.map((edge) => Date.parse(edge.node.asOf)).sort((a, b) => b - a);
  const between = new Date((latest + before) / 2).toISOString();
  const backfilled = await ok<{ refreshHealthScore: { score: number; tier: string; backfill: boolean } }>(
    `mutation { refreshHealthScore(customerId: "${id}", asOf: "${between}") { score tier backfill } }`,
  );
  expect(backfilled.refreshHealthScore).toEqual({ score, tier: 'critical', backfill: true });
});

it('runs no expansion play on an account whose trend is not measured: first scored less than a trend window ago, before and after an activation', async () => {
  const activate = async (config: unknown) => {
    await ok('mutation ($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
    await server.app.scheduler.idle();
  };
  await activate(DEFAULT_SCORING_MODEL);
  const expansion = async (customerId: string) =>
    (
      await ok<{ outreachLog: { edges: Array<{ node: { action: string; status: string } }> } }>(
        `{ outreachLog(customerId: "${customerId}", playbook: "expansion", first: 50) { edges { node { action status } } } }`,
      )
    ).outreachLog.edges.map((edge) => `${edge.node.action}/${edge.node.status}`);
  // Six months of daily use by three users; no signedUpAt. One first scored now, the other scored ten days ago too.
  const [fresh, measured] = ['cust_act_unmeasured', 'cust_act_measured'];
  for (const id of [fresh, measured]) {
    await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}" }) { id } }`);
    const events = Array.from({ length: 540 }, (_, i) => ({
      customerId: id,
      eventType: 'login',
      userId: `u${i % 3}`,
      feature: `f${Math.floor(i / 3) % 3}`,
      occurredAt: daysAgo(Math.floor(i / 3) + 0.5),
    }));
    await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  }
  await ok(`mutation { refreshHealthScore(customerId: "${measured}", asOf: "${daysAgo(10)}") { score } }`);
  for (const id of [fresh, measured]) {
    const scored = await ok<{ refreshHealthScore: { score: number; tier: string; trend: string } }>(
      `mutation { refreshHealthScore(customerId: "${id}") { score tier trend } }`,
    );
    expect(scored.refreshHealthScore).toMatchObject({ tier: 'healthy', trend: 'STABLE' });
    expect(scored.refreshHealthScore.score).toBeGreaterThanOrEqual(90);
  }
  // STABLE against a point ten days ago is measured: the play. Without one, STABLE says nothing: none.
  expect(await expansion(measured)).toHaveLength(3);
  expect(await expansion(fresh)).toEqual([]);

  // No cooldown on the play (a version that scores alike), then one signal weighs one more (a model
  // change, every account rescored): still no trend measured for the fresh account, nor under the new
  // version for the other.
  const noCooldown = {
    ...DEFAULT_SCORING_MODEL,
    playbooks: DEFAULT_SCORING_MODEL.playbooks.map((playbook) =>
      playbook.kind === 'expansion' ? { ...playbook, cooldownDays: 0 } : playbook,
    ),
  };
  await activate(noCooldown);
  const [engagement, ...others] = noCooldown.components;
  const [first, ...rest] = engagement.signals;
  await activate({ ...noCooldown, components: [{ ...engagement, signals: [{ ...first, weight: first.weight + 1 }, ...rest] }, ...others] });
  expect(await expansion(fresh)).toEqual([]);
  expect(await expansion(measured)).toHaveLength(3);
});

it('records with every tier change the model versions of the points it lies between', async () => {
  await server.app.scheduler.idle();
  expect(await tierChangesOffTheirPoints(server.database)).toEqual([]);
});

it("groups the stored versions into runs as each activation compared its model with the one before's (the database agrees with scoresAlike and scoresComputedAlike)", async () => {
  const stored = await sql<{ version: number; config: ScoringModelConfig }>(
    server.database,
    'select version, config from scoring_model order by version',
  );
  const runs = await sql<{ version: number; scoring: number; computing: number }>(server.database, `${MODEL_SCORING_SQL} order by version`);
  const expected: Array<{ version: number; scoring: number; computing: number }> = [];
  stored.forEach(({ version, config }, i) => {
    const before = stored[i - 1]?.config;
    expected.push({
      version,
      scoring: before && scoresAlike(config, before) ? expected[i - 1].scoring : version,
      computing: before && scoresComputedAlike(config, before) ? expected[i - 1].computing : version,
    });
  });
  expect(runs).toEqual(expected);
  // Tier presets make runs of versions computing scores alike that are not runs of versions scoring alike.
  expect(runs.some((run, i) => i > 0 && run.computing === runs[i - 1].computing && run.scoring !== runs[i - 1].scoring)).toBe(true);
  // This file's versions hold runs of several versions, and models alike in runs apart (rollbacks).
  expect(new Set(runs.map((run) => run.scoring)).size).toBeLessThan(runs.length);
  const rolledBack = stored.some(({ config }, i) =>
    stored.slice(0, i).some((earlier, j) => runs[j].scoring !== runs[i].scoring && scoresAlike(config, earlier.config)),
  );
  expect(rolledBack).toBe(true);
});
