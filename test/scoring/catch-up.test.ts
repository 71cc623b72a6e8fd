// Catching up with tierChanges(since: the changedAt of the last change received): a full run dates its
// changes at its start and commits them batch by batch over the seconds after, so a live change dated
// later can be received first. The run's changes are part of the catch-up from any instant it was
// still going at; a run that had ended by then, or a backfill, is not.
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

let database: TestDatabase;
let server: TestServer;
beforeAll(async () => {
  database = await createTestDatabase('catch_up');
  server = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0' } });
  await sql(database, `insert into customer (id, name) values ('cust_run', 'Run'), ('cust_live', 'Live'), ('cust_backfill', 'Backfill')`);
});
afterAll(async () => {
  await server.app.stop();
  await database.drop();
});

const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();

async function change(customerId: string, changedAt: string, backfill = false): Promise<void> {
  await sql(
    database,
    `insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, direction, changed_at, backfill)
     values ($1, 'healthy', 'critical', 90, 10, 'WORSENED', $2, $3)`,
    [customerId, changedAt, backfill],
  );
}

async function caughtUp(since: string): Promise<string[]> {
  const answer = await server.request<{ tierChanges: { edges: Array<{ node: { customer: { id: string } } }> } }, unknown>(
    `query ($since: DateTime!) { tierChanges(since: $since, first: 50) { edges { node { customer { id } } } } }`,
    { since },
  );
  expect(answer.errors).toBeUndefined();
  return answer.data!.tierChanges.edges.map((edge) => edge.node.customer.id);
}

it('includes the changes of a full run still going at `since`, dated before it, and not those of a run that had ended', async () => {
  const runAsOf = at(300);
  const liveAt = at(100);
  const [run] = await sql<{ id: string }>(
    database,
    `insert into scoring_run (status, as_of, started_at) values ('RUNNING', $1, $1) returning id::text`,
    [runAsOf],
  );
  // A backfill going on at the same time: its changes are history, never published.
  await sql(database, `insert into scoring_run (status, as_of, started_at, backfill) values ('RUNNING', $1, now(), true)`, [at(3600)]);
  await change('cust_live', liveAt);
  await change('cust_run', runAsOf);
  await change('cust_backfill', at(3600), true);

  // The client had received the live change and catches up from its changedAt: the run's change,
  // committed after it, is in the answer (first: it is dated earlier).
  expect(await caughtUp(liveAt)).toEqual(['cust_run', 'cust_live']);
  // Ended within a minute of that instant (the database's clock and an instance's may differ): still read.
  await sql(database, `update scoring_run set status = 'SUCCEEDED', finished_at = $1 where id = $2`, [at(130), run.id]);
  expect(await caughtUp(liveAt)).toEqual(['cust_run', 'cust_live']);
  // Ended well before it: catching up from it no longer reads the run's changes.
  await sql(database, `update scoring_run set finished_at = $1 where id = $2`, [at(200), run.id]);
  expect(await caughtUp(liveAt)).toEqual(['cust_live']);
});
