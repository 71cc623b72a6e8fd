// What one client can hold of the database. Full runs asked for through the API wait their turn in
// the process, not on sessions of their own, and past a few are refused with nothing written.
import { Client } from 'pg';
import { createKey, post, waitUntil } from '../helpers/auth';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const FULL_RUN_LOCK = 'healthgraph.full-scoring-run';

/** A session of the test's own on the server's database (not one of the server's). */
async function testSession(server: TestServer): Promise<Client> {
  const client = new Client({ connectionString: server.database.url, application_name: 'pool-limits-test' });
  await client.connect();
  return client;
}

/** The server's sessions on its database waiting for a lock (`advisory`, or `relation` for a table). */
async function waitingForLock(server: TestServer, kind: 'advisory' | 'relation'): Promise<number> {
  const [row] = await sql<{ count: number }>(
    server.database,
    `select count(*)::int as count from pg_stat_activity
     where datname = current_database() and application_name <> 'pool-limits-test' and wait_event_type = 'Lock' and wait_event = $1`,
    [kind],
  );
  return row.count;
}

/** Every session on the server's database but the tests' own and the one counting. */
async function serverSessions(server: TestServer): Promise<number> {
  const [row] = await sql<{ count: number }>(
    server.database,
    `select count(*)::int as count from pg_stat_activity
     where datname = current_database() and application_name <> 'pool-limits-test' and pid <> pg_backend_pid()`,
  );
  return row.count;
}

describe('full runs asked for through the API', () => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'pool_full_runs', env: { FULL_RUNS_WAITING: '2' } });
    admin = (await createKey(server, ['admin'])).key;
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_pool", name: "Pool", arrCents: 100 }) { id } }', undefined, admin);
  });
  afterAll(() => server?.stop());

  it('wait in the process beyond the one running, refuse past the queue with RATE_LIMITED, and open no session for either', async () => {
    // Another instance's run holds the lock: every run asked for here has to wait.
    const otherInstance = await testSession(server);
    await otherInstance.query('select pg_advisory_lock(hashtext($1))', [FULL_RUN_LOCK]);
    const before = await serverSessions(server);
    const answers: Array<Awaited<ReturnType<typeof post>>> = [];
    const calls = Array.from({ length: 12 }, async () => {
      const answer = await post<{ refreshAllHealthScores: { status: string } }>(
        server.url,
        'mutation { refreshAllHealthScores { status } }',
        undefined,
        admin,
      );
      answers.push(answer);
      return answer;
    });
    try {
      // One waits for the lock on its session; two wait in the process; nine are refused at once.
      await waitUntil(() => answers.length === 9, 10_000, 'the refusals');
      await waitUntil(async () => (await waitingForLock(server, 'advisory')) === 1, 10_000, 'a run waiting for the lock');
      for (const answer of answers) {
        expect(answer.body.data).toBeNull();
        expect(answer.body.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 5 });
      }
      expect(await waitingForLock(server, 'advisory')).toBe(1);
      expect(await serverSessions(server)).toBeLessThanOrEqual(before + 1);
      // Nothing written for the refused ones, nor yet for the waiting ones.
      expect(await sql(server.database, 'select id from scoring_run')).toEqual([]);
    } finally {
      await otherInstance.end();
    }
    const admitted = (await Promise.all(calls)).filter((answer) => !answer.body.errors);
    expect(admitted.map((answer) => answer.body.data)).toEqual(Array(3).fill({ refreshAllHealthScores: { status: 'SUCCEEDED' } }));
    expect(await sql(server.database, "select id from scoring_run where status = 'SUCCEEDED'")).toHaveLength(3);
    // The queue is free again.
    const again = await post(server.url, 'mutation { refreshAllHealthScores { status } }', undefined, admin);
    expect(again.body.data).toEqual({ refreshAllHealthScores: { status: 'SUCCEEDED' } });
  });
});
