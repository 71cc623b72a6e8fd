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

/** A point of one history: days before its last point, score above the lowest, and whether it rests on next to no data. */
type Point = [day: number, above: number, observed?: 'thin'];

/**
 * One history, in five stretches more than the drop window (14 days) apart, and at each well observed
 * point whether a scoring there makes a new drop of 15 (the model's scoreDrop.points).
 */
const ONE_HISTORY: Array<[Point, boolean]> = [
  // A slide taken once, the wobble after it, then back at the high and a second slide.
  [[100, 30], false],
  [[99, 22], false],
  [[98, 14], true],
  [[97.5, 16], false],
  [[97, 13], false],
  [[96, 30], false],
  [[95, 20], false],
  [[94, 14], true],
  // Two falls of 15 from the point before within the window; a point lower after them is no new one.
  [[80, 31], false],
  [[79, 15], true],
  [[78, 0], true],
  [[77, 1], false],
  [[76, 0], false],
  // Falls from points on next to no data: none is measured from them, nor is one the high.
  [[60, 10], false],
  [[59, 28, 'thin'], false],
  [[58, 12], false],
  [[57, 26], false],
  [[56.5, 30, 'thin'], false],
  [[56, 11], true],
  [[55.5, 25, 'thin'], false],
  [[55, 10], false],
  // A slide; back at the high only on next to no data (the same slide); back at it observed, then 15 below.
  [[40, 31], false],
  [[39.5, 24], false],
  [[39, 16], true],
  [[38.5, 18], false],
  [[38, 16], false],
  [[37.5, 31, 'thin'], false],
  [[37, 15], false],
  [[36.5, 31], false],
  [[36, 16], true],
  // Below the mark only on next to no data since the high: the slide is still to be taken.
  [[20, 31], false],
  [[19.5, 16, 'thin'], false],
  [[19, 15], true],
];

/** Writes the points before the `last`-th of ONE_HISTORY, as the scoring wrote them, so that a scoring now is that point, at `score`. */
async function historyBefore(id: string, last: number): Promise<void> {
  const [[lastDay, lastAbove]] = ONE_HISTORY[last];
  const now = Date.now();
  for (const [[day, above, observed]] of ONE_HISTORY.slice(0, last))
    await sql(
      server.database,
      `insert into health_score (customer_id, score, tier, trend, components, signals, penalties, coverage, model_version, as_of)
       values ($1, $2, 'monitor', 'STABLE', '[]', '[]', '[]', $3, (select max(version) from scoring_model), $4)`,
      [id, score + above - lastAbove, observed === 'thin' ? 0.3 : 1, new Date(now - (day - lastDay) * DAY).toISOString()],
    );
}

it('decides a new drop as the changes feed lists one, at every point of one history', async () => {
  const decided = [];
  for (const [index, [[day, , observed], newDrop]] of ONE_HISTORY.entries()) {
    // A scoring now rests on the customer's data: a point on next to none is history only.
    if (index === 0 || observed === 'thin') continue;
    const id = `c_history_${index}`;
    await quietCustomer(id);
    await historyBefore(id, index);
    expect(await scoreNow(id)).toEqual({ score, tier: 'monitor' });
    const triggers = await tierPlaybookTriggers(id);
    decided.push({ day, newDrop, playbook: triggers.includes('SCORE_DROP'), feed: (await listedDrops(id)) === 1 });
  }
  // The playbook's rule (newScoreDrop, in memory) and the feed's (SQL) decide each point alike, and as written.
  expect(decided).toEqual(decided.map(({ day, newDrop }) => ({ day, newDrop, playbook: newDrop, feed: newDrop })));
}, 120_000);
