// An instant scored live and scored again later (refreshHealthScore with that asOf, past the live
// slack: a backfill) keeps its point's id and its live mark: that instant's scoring ran the playbooks
// and was published, which scoring it again as history does not undo. The second scoring itself
// still publishes nothing.
import { OnScoreUpdatedDocument } from '../__generated__/graphql';
import { busyDays, daysAgo } from '../helpers/busy-account';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { connect, subscribe } from '../helpers/subscriptions';

let server: TestServer;
const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);

beforeAll(async () => {
  // Continuous rescoring off: only the scorings the test asks for write history.
  server = await startTestServer({ label: 'rescored_live_instant', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server?.stop());

interface Point {
  id: string;
  asOf: string;
  backfill: boolean;
}

const REFRESH = `mutation ($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) { id asOf backfill } }`;

it('keeps the live mark of a point whose instant is scored again as a backfill, and publishes nothing for it', async () => {
  const id = 'cust_rescored_live';
  await ok(`mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "${daysAgo(200)}" }) { id } }`);
  await ok('mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events: busyDays(id) });
  const { refreshHealthScore: live } = await ok<{ refreshHealthScore: Point }>(REFRESH, { id });
  expect(live.backfill).toBe(false);
  // That scoring ten minutes ago: its instant is now past the live slack, and scoring it again is a backfill.
  for (const [table, column] of [
    ['health_score', 'as_of'],
    ['tier_change', 'changed_at'],
  ]) {
    await sql(server.database, `update ${table} set ${column} = ${column} - interval '10 minutes' where customer_id = $1`, [id]);
  }
  await sql(server.database, `update customer set scored_at = scored_at - interval '10 minutes' where id = $1`, [id]);
  const instant = new Date(Date.parse(live.asOf) - 10 * 60_000).toISOString();

  const client = connect(server.wsUrl);
  try {
    const updates = await subscribe(client, OnScoreUpdatedDocument, { customerId: id });
    const { refreshHealthScore: again } = await ok<{ refreshHealthScore: Point }>(REFRESH, { id, asOf: instant });
    expect(again).toEqual({ id: live.id, asOf: instant, backfill: false });
    const { healthScoreHistory } = await ok<{ healthScoreHistory: { edges: Array<{ node: Point }> } }>(
      `{ healthScoreHistory(customerId: "${id}") { edges { node { id asOf backfill } } } }`,
    );
    expect(healthScoreHistory.edges.map((edge) => edge.node)).toEqual([{ id: live.id, asOf: instant, backfill: false }]);
    // The point's first tier is still the change published live.
    const { tierChanges } = await ok<{ tierChanges: { edges: Array<{ node: { changedAt: string; backfill: boolean } }> } }>(
      `{ tierChanges(customerId: "${id}") { edges { node { changedAt backfill } } } }`,
    );
    expect(tierChanges.edges.map((edge) => edge.node)).toEqual([{ changedAt: instant, backfill: false }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(updates.events).toEqual([]);
  } finally {
    await client.dispose();
  }
});
