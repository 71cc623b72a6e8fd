// "What changed" across model versions: points of a run of versions activated one after another,
// each differing from the one before only in playbook settings, are compared as one version's (a
// drop, a slide, a tier move are the account's); across any other change, even back to a model
// scored before (a rollback), the model moved, not the account.
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const HOUR = 3_600_000;
const NOW = Date.now();
const hoursAgo = (hours: number) => new Date(NOW - hours * HOUR).toISOString();
let server: TestServer;
/** The stored versions, in activation order: 1 to 3 differ only in playbook settings, 4 scores otherwise, 5 is 3's config again. */
const versions: number[] = [];

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

beforeAll(async () => {
  server = await startTestServer({ label: 'changes_versions', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const activate = async (config: object) =>
    (
      await ok<{ updateScoringModel: { version: number } }>(
        'mutation ($c: JSON!) { updateScoringModel(input: { config: $c }) { version } }',
        { c: config },
      )
    ).updateScoringModel.version;
  versions.push((await ok<{ scoringModel: { version: number } }>('{ scoringModel { version } }')).scoringModel.version);
  const edited = { ...DEFAULT_SCORING_MODEL, cooldownDays: DEFAULT_SCORING_MODEL.cooldownDays + 1 };
  const editedAgain = { ...edited, cooldownDays: edited.cooldownDays + 1 };
  const neverRaised = { name: 'never_raised', metric: 'open_tickets', windowDays: 30, direction: 'at_least', threshold: 1000, points: 1 };
  for (const config of [edited, editedAgain, { ...editedAgain, penalties: [...editedAgain.penalties, neverRaised] }, editedAgain])
    versions.push(await activate(config));
  expect(versions).toEqual([1, 2, 3, 4, 5]);
}, 60_000);
afterAll(() => server.stop());

async function customer(id: string): Promise<void> {
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${hoursAgo(2000)}" }) { id } }`);
}

/** A point as the scoring writes it: with the score before it and the high of its drop window (among points it compares with). */
async function point(
  id: string,
  hoursBack: number,
  score: number,
  previous: number | null,
  peak: number | null,
  version: number,
  tier = 'healthy',
) {
  await sql(
    server.database,
    `insert into health_score (customer_id, score, tier, trend, previous_score, peak_score, components, signals, penalties, coverage, model_version, as_of)
     values ($1, $2, $3, 'STABLE', $4, $5, '[]', '[]', '[]', 1, $6, $7)`,
    [id, score, tier, previous, peak, version, hoursAgo(hoursBack)],
  );
}

type Node = {
  kind: string;
  customerId: string;
  fromTier: string | null;
  toTier: string | null;
  fromScore: number | null;
  toScore: number | null;
};
async function changesOf(id: string): Promise<Node[]> {
  const feed = await ok<{ changes: { edges: Array<{ node: Node }> } }>(
    'query ($since: DateTime!) { changes(since: $since, first: 500, minScoreDrop: 10) { edges { node { kind customerId fromTier toTier fromScore toScore } } } }',
    { since: hoursAgo(50) },
  );
  return feed.changes.edges.map((edge) => edge.node).filter((node) => node.customerId === id);
}

it('lists a slide within a tier across three versions that differ only in playbook settings once, as within one version', async () => {
  const id = 'cust_cv_slide';
  await customer(id);
  const [v1, v2, v3] = versions;
  await point(id, 40, 95, null, null, v1);
  await point(id, 30, 90, 95, 95, v1);
  // 11 below the high of version 1, in a step of 6 from a point of version 1: the slide, listed.
  await point(id, 20, 84, 90, 95, v2);
  await point(id, 10, 86, 84, 95, v2);
  // Below the mark again under version 3, the high unchanged: the same slide, not listed again.
  await point(id, 2, 84, 86, 95, v3);
  expect(await changesOf(id)).toEqual([
    { kind: 'SCORE_DROPPED', customerId: id, fromTier: 'healthy', toTier: 'healthy', fromScore: 95, toScore: 84 },
  ]);
});

it('lists a drop and a tier move from a point of the first of three such versions to one of the third', async () => {
  const id = 'cust_cv_three';
  await customer(id);
  const [v1, , v3] = versions;
  await point(id, 30, 90, null, null, v1);
  await point(id, 4, 70, 90, 90, v3);
  await point(id, 2, 45, 70, 90, v3, 'at_risk');
  await sql(
    server.database,
    `insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, direction, from_model_version, model_version, changed_at)
     values ($1, 'healthy', 'at_risk', 70, 45, 'WORSENED', $2, $2, $3)`,
    [id, v3, hoursAgo(2)],
  );
  // The move at 2 hours is listed as a tier change (not again as a drop); the drop at 4 hours from version 1's point is the account's.
  expect(await changesOf(id)).toEqual([
    { kind: 'TIER_CHANGED', customerId: id, fromTier: 'healthy', toTier: 'at_risk', fromScore: 70, toScore: 45 },
    { kind: 'SCORE_DROPPED', customerId: id, fromTier: 'healthy', toTier: 'healthy', fromScore: 90, toScore: 70 },
  ]);
});

it("lists no drop or tier move from a point of a model rolled back to (A, then B, then A's config again): the model moved, not the account", async () => {
  const id = 'cust_cv_rollback';
  await customer(id);
  const [, , v3, , v5] = versions;
  await point(id, 30, 90, null, null, v3);
  await point(id, 2, 45, 90, null, v5, 'at_risk');
  await sql(
    server.database,
    `insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, direction, from_model_version, model_version, changed_at)
     values ($1, 'healthy', 'at_risk', 90, 45, 'WORSENED', $2, $3, $4)`,
    [id, v3, v5, hoursAgo(2)],
  );
  // Version 5 scores as version 3 did, but version 4 scored otherwise between them.
  expect(await changesOf(id)).toEqual([]);
  const moves = await ok<{ tierChanges: { edges: Array<{ node: { modelVersion: number; fromModelVersion: number } }> } }>(
    `{ tierChanges(customerId: "${id}") { edges { node { modelVersion fromModelVersion } } } }`,
  );
  expect(moves.tierChanges.edges.map((edge) => edge.node)).toEqual([{ modelVersion: v5, fromModelVersion: v3 }]);
});

it("tells each score the first version of its run (scoringVersion): a chart marks a model change only where it differs from the score before's", async () => {
  const history = async (id: string) =>
    (
      await ok<{ healthScoreHistory: { edges: Array<{ node: { modelVersion: number; scoringVersion: number } }> } }>(
        `{ healthScoreHistory(customerId: "${id}") { edges { node { modelVersion scoringVersion } } } }`,
      )
    ).healthScoreHistory.edges.map((edge) => [edge.node.modelVersion, edge.node.scoringVersion]);
  const [v1, v2, v3, , v5] = versions;
  // Newest first.
  expect(await history('cust_cv_slide')).toEqual([
    [v3, v1],
    [v2, v1],
    [v2, v1],
    [v1, v1],
    [v1, v1],
  ]);
  expect(await history('cust_cv_rollback')).toEqual([
    [v5, v5],
    [v3, v1],
  ]);
});
