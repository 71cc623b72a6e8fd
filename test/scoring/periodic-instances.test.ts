// Several instances side by side each keep a periodic timer: together they run one full run per
// interval, not one each (a run on any instance stands for the others' turns).
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const INTERVAL_MS = 3000;
let database: TestDatabase;
let servers: TestServer[] = [];

beforeAll(async () => {
  database = await createTestDatabase('periodic_instances');
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await database.drop();
});

it('two instances with the same interval run the periodic full run about once per interval between them', async () => {
  const env = { SCORING_INTERVAL_MS: String(INTERVAL_MS), RESCORE_DEBOUNCE_MS: '0' };
  servers = [await startTestServer({ database, env })];
  // A customer to score, so every run has work.
  const upserted = await servers[0].request(
    'mutation { upsertCustomer(input: { id: "cust_periodic", name: "Periodic", signedUpAt: "2026-01-01T00:00:00Z" }) { id } }',
  );
  expect(upserted.errors).toBeUndefined();
  // The second instance starts a fraction of an interval after the first: their timers are offset.
  await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS / 3));
  servers.push(await startTestServer({ database, env }));
  await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 4));
  await Promise.all(servers.map((server) => server.stop()));
  servers = [];

  const runs = await sql<{ started: Date }>(
    database,
    `select started_at as started from scoring_run where not first_start and status = 'SUCCEEDED' order by started_at`,
  );
  expect(runs.length).toBeGreaterThanOrEqual(2);
  const gaps = runs.slice(1).map((run, i) => run.started.getTime() - runs[i].started.getTime());
  expect(gaps.filter((gap) => gap < INTERVAL_MS * 0.9)).toEqual([]);
});
