// A red flag held back by its `onlyWhen` says so in the explanation, through storage and the API:
// with the default model, a team that shrank while the account stays in use is flagged; an account
// where nobody came at all is not (the silence signals count that), and its explanation shows the
// team flag past its threshold but held back.
import { RefreshHealthScoreDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { encodePenalties } from '../../src/scoring/signal-storage';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const now = Date.now();
const daysAgo = (days: number, hour: number) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();

/** Three users on each of the days from 74 to 15 days ago; over the last 14 days, `recentUsers` users each day. */
function usage(customerId: string, recentUsers: number) {
  const events = [];
  for (let d = 74; d >= 1; d--) {
    const users = d >= 15 ? 3 : recentUsers;
    for (let u = 1; u <= users; u++)
      events.push({ customerId, eventType: 'feature_used', feature: `f${u}`, userId: `u${u}`, occurredAt: daysAgo(d, 8 + u) });
  }
  return events;
}

const PENALTIES = `query ($id: ID!) { healthScore(customerId: $id) { penalties { name rawValue points applied heldBack } } }`;

interface Penalty {
  name: string;
  rawValue: number | null;
  points: number;
  applied: boolean;
  heldBack: boolean;
}

async function penalty(customerId: string, name: string): Promise<Penalty> {
  await server.gql(RefreshHealthScoreDocument, { customerId });
  const result = await server.request<{ healthScore: { penalties: Penalty[] } }, { id: string }>(PENALTIES, { id: customerId });
  expect(result.errors).toBeUndefined();
  return result.data!.healthScore.penalties.find((p) => p.name === name)!;
}

beforeAll(async () => {
  server = await startTestServer({ label: 'held-back', env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (const id of ['cust_quiet', 'cust_in_use'])
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt: daysAgo(300, 0), arrCents: 1_000_000, seats: 5 } });
  const events = [...usage('cust_quiet', 0), ...usage('cust_in_use', 1)];
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
});
afterAll(() => server.stop());

it('flags a team that shrank to one user while the account stays in use', async () => {
  expect(await penalty('cust_in_use', 'team_shrinking')).toMatchObject({ applied: true, heldBack: false, points: 45 });
});

it('shows the team flag held back, not applied, when nobody came at all', async () => {
  const flag = await penalty('cust_quiet', 'team_shrinking');
  // No user in the last 14 days of the 3 seen over 60: past the threshold (0.5), held back by "while in use".
  expect(flag).toEqual({ name: 'team_shrinking', rawValue: 0, points: 0, applied: false, heldBack: true });
});

it('stores the held-back mark only where it is true', () => {
  const stored = encodePenalties([
    { name: 'a', rawValue: 0.2, points: 0, applied: false, heldBack: true },
    { name: 'b', rawValue: 0.9, points: 0, applied: false, heldBack: false },
  ]);
  expect(stored).toEqual([
    ['a', 0.2, 0, false, true],
    ['b', 0.9, 0, false],
  ]);
});
