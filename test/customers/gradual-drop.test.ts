// A score that slides within one tier, a point or two at each scoring (an hourly run sees a silence
// grow an hour at a time), is a drop all the same: "what changed" lists it once, at the scoring that
// takes it `minScoreDrop` points below its high of the drop window (14 days), from that high.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * DAY).toISOString();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'gradual_drop', env: { RESCORE_DEBOUNCE_MS: '0' } });
}, 60_000);
afterAll(() => server.stop());

const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

interface Scored {
  refreshHealthScore: { score: number; tier: string };
}
const scoreAt = async (asOf?: string) =>
  (await ok<Scored>('mutation($asOf: DateTime) { refreshHealthScore(customerId: "c_slide", asOf: $asOf) { score tier } }', { asOf }))
    .refreshHealthScore;

interface Feed {
  changes: {
    edges: Array<{ node: { kind: string; customerId: string; fromTier: string; toTier: string; fromScore: number; toScore: number } }>;
  };
}
const scoreDrops = async (minScoreDrop: number) =>
  (
    await ok<Feed>(
      'query($since: DateTime!, $min: Int) { changes(since: $since, minScoreDrop: $min) { edges { node { kind customerId fromTier toTier fromScore toScore } } } }',
      {
        since: daysAgo(5),
        min: minScoreDrop,
      },
    )
  ).changes.edges
    .map((e) => e.node)
    .filter((node) => node.kind === 'SCORE_DROPPED');

it('lists a slide within the healthy tier once it is minScoreDrop below the recent high, though no single step is', async () => {
  await ok('mutation($at: DateTime!) { upsertCustomer(input: { id: "c_slide", name: "Slide", signedUpAt: $at }) { id } }', {
    at: daysAgo(200),
  });
  // In use every day by three people, then silent for the last four days.
  const events = [];
  for (let day = 190; day >= 4; day--) {
    for (const userId of ['u1', 'u2', 'u3'])
      events.push({ customerId: 'c_slide', eventType: 'login', userId, occurredAt: daysAgo(day + 0.3) });
  }
  for (let i = 0; i < events.length; i += 500) {
    await ok('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', {
      events: events.slice(i, i + 500),
    });
  }
  // The history as the service wrote it: earlier points (a backfill), then the live scoring now.
  const history = [];
  for (const hoursBack of [96, 72, 48, 36, 24, 20, 16, 12, 8, 4])
    history.push(await scoreAt(new Date(NOW - hoursBack * HOUR).toISOString()));
  const now = await scoreAt();
  const high = Math.max(...history.map((point) => point.score));
  const previous = history[history.length - 1].score;
  // The slide this test is about: within one tier, each step small, the whole of it large.
  expect([...history, now].every((point) => point.tier === 'healthy')).toBe(true);
  expect(high - now.score).toBeGreaterThanOrEqual(10);
  expect(previous - now.score).toBeLessThan(high - now.score);
  expect(previous - now.score).toBeGreaterThan(0);

  // Exactly as far below the high as the live scoring took it: listed there, from the high.
  expect(await scoreDrops(high - now.score)).toEqual([
    { kind: 'SCORE_DROPPED', customerId: 'c_slide', fromTier: 'healthy', toTier: 'healthy', fromScore: high, toScore: now.score },
  ]);
  // Already past a smaller threshold at the scoring before (a backfilled point is never listed): not listed again.
  expect(await scoreDrops(high - previous)).toEqual([]);
  // Further than it went: nothing.
  expect(await scoreDrops(high - now.score + 1)).toEqual([]);
});

it('lists a slide once, not again each time a wobble around the mark takes the score back below it', async () => {
  await ok('mutation($at: DateTime!) { upsertCustomer(input: { id: "c_wobble", name: "Wobble", signedUpAt: $at }) { id } }', {
    at: daysAgo(200),
  });
  // As the scoring wrote them: each point with the score before it and the high of its drop window.
  const points: Array<[hoursBack: number, score: number, previous: number | null, peak: number | null]> = [
    [40, 95, null, null],
    [30, 90, 95, 95],
    [20, 84, 90, 95], // 11 below the high: the slide, listed
    [10, 86, 84, 95],
    [2, 84, 86, 95], // below the mark again, the high unchanged: the same slide
  ];
  for (const [hoursBack, score, previous, peak] of points)
    await sql(
      server.database,
      `insert into health_score (customer_id, score, tier, trend, previous_score, peak_score, components, signals, penalties, coverage, model_version, as_of)
       values ('c_wobble', $1, 'healthy', 'DECLINING', $2, $3, '[]', '[]', '[]', 1, (select max(version) from scoring_model), $4)`,
      [score, previous, peak, new Date(NOW - hoursBack * HOUR).toISOString()],
    );
  const drops = (await scoreDrops(10)).filter((drop) => drop.customerId === 'c_wobble');
  expect(drops).toEqual([
    { kind: 'SCORE_DROPPED', customerId: 'c_wobble', fromTier: 'healthy', toTier: 'healthy', fromScore: 95, toScore: 84 },
  ]);

  // Back up to its high, then down again: a second slide, listed too.
  for (const [hoursBack, score, previous] of [
    [1.5, 95, 84],
    [1, 90, 95],
    [0.5, 84, 90],
  ])
    await sql(
      server.database,
      `insert into health_score (customer_id, score, tier, trend, previous_score, peak_score, components, signals, penalties, coverage, model_version, as_of)
       values ('c_wobble', $1, 'healthy', 'DECLINING', $2, 95, '[]', '[]', '[]', 1, (select max(version) from scoring_model), $3)`,
      [score, previous, new Date(NOW - hoursBack * HOUR).toISOString()],
    );
  expect((await scoreDrops(10)).filter((drop) => drop.customerId === 'c_wobble')).toHaveLength(2);
});
