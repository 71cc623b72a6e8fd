// A full run that lost its lock is run again by its instance's sweep; when that run loses its lock
// too, what it owes is still owed, and the sweeps run it once the lock is free, as after the first loss.
import { Client } from 'pg';
import type { Db } from '../../src/infra/sql';
import { LOCK_LOST_RUN_ERROR, refreshAllHealthScores, SCORING_BATCH_SIZE } from '../../src/scoring/scoring.service';
import { waitUntil } from '../helpers/auth';
import { sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

/** An instance with the hourly run on, which looks for abandoned work every 300 ms and rescores nothing on its own. */
const SURVIVOR_ENV = { SCORING_INTERVAL_MS: '3600000', RESCORE_SWEEP_MS: '300', RESCORE_DEBOUNCE_MS: '0' };
const FULL_RUN_LOCK = 'healthgraph.full-scoring-run';
/** SQL: the full-run lock in this test's database (a bigint key is held as its high and low 32 bits). */
const FULL_RUN_LOCK_ROWS = `select pid, granted from pg_locks where locktype = 'advisory' and mode = 'ExclusiveLock' and objsubid = 1
  and database = (select oid from pg_database where datname = current_database())
  and classid = ((hashtext('${FULL_RUN_LOCK}')::bigint >> 32) & 4294967295)::oid
  and objid = (hashtext('${FULL_RUN_LOCK}')::bigint & 4294967295)::oid`;
const CUSTOMERS = 3 * SCORING_BATCH_SIZE + 1;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const running = async (database: TestDatabase): Promise<boolean> =>
  (await sql(database, `select 1 from scoring_run where status = 'RUNNING'`)).length > 0;

/**
 * Another session queues for the full-run lock, and gets it as the session holding it is ended: the
 * run holding it cannot take it again. Returns that session, holding the lock until it ends.
 */
async function takeTheLockFromTheRun(database: TestDatabase): Promise<Client> {
  const rival = new Client({ connectionString: database.url });
  rival.on('error', () => undefined);
  await rival.connect();
  const taken = rival.query('select pg_advisory_lock(hashtext($1))', [FULL_RUN_LOCK]);
  await waitUntil(
    async () => (await sql(database, `select 1 from (${FULL_RUN_LOCK_ROWS}) l where not granted`)).length > 0,
    10_000,
    'the rival waiting for the lock',
  );
  await sql(database, `select pg_terminate_backend(pid) from (${FULL_RUN_LOCK_ROWS}) l where granted`);
  await taken;
  return rival;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ label: 'lock_lost_again', env: SURVIVOR_ENV });
  await server.app.scheduler.idle();
  await sql(
    server.database,
    `insert into customer (id, name, created_at, updated_at)
     select 'again_' || lpad(n::text, 5, '0'), 'again ' || n, now(), now() from generate_series(1, ${CUSTOMERS}) n`,
  );
});
afterAll(() => server.stop());

it('a run owed after a lost lock, whose own run again loses its lock, is run once more when the lock is free', async () => {
  const { database } = server;
  // Each batch slow enough that a run is still claiming batches when its lock is taken.
  await sql(
    database,
    `create function during_batch() returns trigger language plpgsql as $$ begin perform pg_sleep(1); return null; end $$;
     create trigger during_batch after insert on health_score for each statement execute function during_batch()`,
  );
  try {
    const first = refreshAllHealthScores(server.app.services, server.app.orm.em.fork() as Db, null, true);
    await waitUntil(() => running(database), 10_000, 'the first run');
    let rival = await takeTheLockFromTheRun(database);
    try {
      expect(await first).toMatchObject({ status: 'FAILED', error: LOCK_LOST_RUN_ERROR });
    } finally {
      await rival.end();
    }
    // The lock free, a sweep runs what the first run owes; that run loses its lock the same way.
    await waitUntil(() => running(database), 10_000, 'the run owed');
    rival = await takeTheLockFromTheRun(database);
    try {
      await waitUntil(async () => !(await running(database)), 20_000, 'the run owed to end');
      // While the rival holds the lock, the sweeps find it taken: nothing runs, and nothing is forgotten.
      await pause(1000);
      expect(await sql(database, 'select count(*)::int as n from scoring_run')).toEqual([{ n: 2 }]);
    } finally {
      await rival.end();
    }
    await waitUntil(
      async () => (await sql(database, `select 1 from scoring_run where status = 'SUCCEEDED'`)).length > 0,
      20_000,
      'the run owed done once more',
    );
  } finally {
    await sql(database, 'drop trigger during_batch on health_score; drop function during_batch()');
  }
  expect(await sql(database, 'select status, error, customers_scored as scored from scoring_run order by id')).toEqual([
    { status: 'FAILED', error: LOCK_LOST_RUN_ERROR, scored: expect.any(Number) },
    { status: 'FAILED', error: LOCK_LOST_RUN_ERROR, scored: expect.any(Number) },
    { status: 'SUCCEEDED', error: null, scored: CUSTOMERS },
  ]);
});
