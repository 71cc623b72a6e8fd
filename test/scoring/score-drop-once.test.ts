// A score drop is alerted when it happens, not again days later when the score, long since fallen,
// wobbles a point lower: the scoring batch reads where the score has been since the drop window's high
// (lowestSincePeak) and runs the tier playbook only for a new drop: the one the changes feed lists.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.now();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'score_drop_once', env: { RESCORE_DEBOUNCE_MS: '0' } });
}, 60_000);
afterAll(() => server?.stop());

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

/** A customer in use by one person every day from 150 to 10 days ago: scored in the monitor tier now. */
async function quietCustomer(id: string): Promise<void> {
  await ok('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', {
    input: { id, name: id, signedUpAt: new Date(NOW - 300 * DAY).toISOString(), arrCents: 100, seats: 10 },
  });
  const events = Array.from({ length: 141 }, (_, i) => ({
    customerId: id,
    eventType: 'login',
    userId: 'u1',
    occurredAt: new Date(NOW - (10 + i) * DAY).toISOString(),
  }));
  await ok('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
}

const scoreNow = async (id: string) =>
  (
    await ok<{ refreshHealthScore: { score: number; tier: string } }>(
      'mutation($id: ID!) { refreshHealthScore(customerId: $id) { score tier } }',
      { id },
    )
  ).refreshHealthScore;

const tierOf = (score: number) => (score >= 70 ? 'healthy' : score >= 50 ? 'monitor' : score >= 30 ? 'at_risk' : 'critical');

/** Writes the customer's earlier points, as the scoring wrote them: [days ago, score], oldest first. */
async function history(id: string, points: Array<[daysAgo: number, score: number]>): Promise<void> {
  for (const [daysAgo, score] of points)
    await sql(
      server.database,
      `insert into health_score (customer_id, score, tier, trend, components, signals, penalties, coverage, model_version, as_of)
       values ($1, $2, $3, 'STABLE', '[]', '[]', '[]', 1, (select max(version) from scoring_model), $4)`,
      [id, score, tierOf(score), new Date(NOW - daysAgo * DAY - HOUR).toISOString()],
    );
}

const tierPlaybookTriggers = async (id: string) =>
  (
    await sql<{ trigger: string }>(
      server.database,
      `select distinct trigger from outreach_action where customer_id = $1 and playbook in ('monitor', 'at_risk', 'critical')`,
      [id],
    )
  ).map((row) => row.trigger);

/** The score drops of 15 points or more (the model's scoreDrop.points) the changes feed lists for the customer's live scoring. */
const listedDrops = async (id: string) =>
  (
    await ok<{ changes: { edges: Array<{ node: { kind: string; customerId: string } }> } }>(
      'query($since: DateTime!) { changes(since: $since, minScoreDrop: 15, first: 100) { edges { node { kind customerId } } } }',
      { since: new Date(NOW - HOUR / 2).toISOString() },
    )
  ).changes.edges.filter((edge) => edge.node.kind === 'SCORE_DROPPED' && edge.node.customerId === id).length;

let score: number;

beforeAll(async () => {
  await quietCustomer('c_probe');
  const probe = await scoreNow('c_probe');
  expect(probe.tier).toBe('monitor');
  score = probe.score;
  // Room for a fall of the drop's 15 points from above, and a wobble a point below, within the tier.
  expect(score).toBeGreaterThanOrEqual(51);
}, 60_000);

it('does not alert again when a fall taken days ago wobbles a point lower', async () => {
  await quietCustomer('c_fallen');
  // At its high, then 30 points down nine days ago (the drop then), one above today's score since.
  await history('c_fallen', [
    [13, score + 31],
    [12, score + 31],
    [9, score + 1],
    ...[8, 7, 6, 5, 4, 3, 2, 1].map((day): [number, number] => [day, score + 1]),
  ]);
  expect((await scoreNow('c_fallen')).score).toBe(score);
  expect(await tierPlaybookTriggers('c_fallen')).toEqual([]);
  expect(await listedDrops('c_fallen')).toBe(0);
});

it('does not alert again when the score, having climbed back a little, crosses the mark anew', async () => {
  await quietCustomer('c_recrossed');
  // 16 below the high eight days ago (the drop then), back to 14 below it since, 15 below now: the same slide.
  await history('c_recrossed', [
    [12, score + 15],
    [8, score - 1],
    [4, score + 5],
    [1, score + 1],
  ]);
  expect((await scoreNow('c_recrossed')).score).toBe(score);
  expect(await tierPlaybookTriggers('c_recrossed')).toEqual([]);
  expect(await listedDrops('c_recrossed')).toBe(0);
});

it('alerts the fall that crosses the mark now, and a slide once the score has been back at its high', async () => {
  await quietCustomer('c_crossing');
  await history('c_crossing', [
    [12, score + 15],
    [4, score + 5],
    [1, score + 1],
  ]);
  expect((await scoreNow('c_crossing')).score).toBe(score);
  expect(await tierPlaybookTriggers('c_crossing')).toEqual(['SCORE_DROP']);
  expect(await listedDrops('c_crossing')).toBe(1);

  await quietCustomer('c_second_slide');
  // A slide eleven days ago, then back at the high, and down again now.
  await history('c_second_slide', [
    [13, score + 15],
    [11, score - 1],
    [6, score + 15],
    [1, score + 1],
  ]);
  expect((await scoreNow('c_second_slide')).score).toBe(score);
  expect(await tierPlaybookTriggers('c_second_slide')).toEqual(['SCORE_DROP']);
  expect(await listedDrops('c_second_slide')).toBe(1);
});
