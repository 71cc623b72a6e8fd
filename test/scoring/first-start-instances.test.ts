// Instances started together on data no instance has scored: one backfills the first start's 30 days,
// and no instance scores live (a rescoring round, a periodic run) until that backfill's run as of now
// has ended. Scored live in between, the accounts were alerted and mailed on the first few days of a
// history still being written: a tier drop that happened weeks ago read as today's.
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer } from '../helpers/server';

const DAY = 86_400_000;
const CUSTOMERS = 20;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('first_start_instances');
  // Loaded by an instance without full runs or rescoring: the customers are queued, nobody scored.
  const loader = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0' } });
  for (let i = 0; i < CUSTOMERS; i++) {
    const customerId = `cust_first_${i}`;
    await loader.gql(UpsertCustomerDocument, {
      input: { id: customerId, name: customerId, signedUpAt: new Date(Date.now() - 60 * DAY).toISOString() },
    });
    const events = Array.from({ length: 28 }, (_, d) => ({
      customerId,
      eventType: 'login',
      occurredAt: new Date(Date.now() - (18 + d) * DAY).toISOString(),
    }));
    await loader.gql(TrackEngagementBatchDocument, { events });
  }
  await loader.stop();
});
afterAll(() => database.drop());

it('scores nothing live on any instance before the backfill of the first start has run as of now', async () => {
  // Each day of the backfill takes a while, as on a large account base: the other instance's first
  // rescoring round comes while the history reaches only its first days.
  await sql(
    database,
    `create function slow_backfill() returns trigger language plpgsql as $$ begin perform pg_sleep(0.1); return new; end $$;
     create trigger slow_backfill before insert on scoring_run for each row when (new.backfill) execute function slow_backfill()`,
  );
  const env = { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '300' };
  const servers = await Promise.all([startTestServer({ database, env }), startTestServer({ database, env })]);
  try {
    await Promise.all(servers.map((server) => server.app.scheduler.idle()));
    const [finalRun] = await sql<{ startedAt: Date; asOf: Date }>(
      database,
      `select started_at as "startedAt", as_of as "asOf" from scoring_run where first_start and not backfill and status = 'SUCCEEDED'`,
    );
    expect(finalRun).toBeDefined();
    const scoredBefore = 'select customer_id from health_score where not backfill and computed_at < $1';
    expect(await sql(database, scoredBefore, [finalRun.startedAt])).toEqual([]);
    // An action is dated by the scoring that decided it: those of the final run, as of its instant.
    const decidedBefore = 'select customer_id, playbook from outreach_action where created_at < $1';
    expect(await sql(database, decidedBefore, [finalRun.asOf])).toEqual([]);
    // The backfill is the history the run as of now read: every customer has the 30 days.
    const [{ days }] = await sql<{ days: number }>(database, 'select count(distinct as_of)::int as days from health_score where backfill');
    expect(days).toBe(30);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
});
