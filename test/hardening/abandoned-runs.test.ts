// A full run or a first start's backfill whose instance died (kill -9, a lost machine) and is never
// restarted: an instance still running takes it over within a sweep (RESCORE_SWEEP_MS). While the
// dying instance lives, its locks say its work is real and the others leave it be; its death ends its
// sessions and their locks, and a row still RUNNING then has nobody behind it.
import { Client } from 'pg';
import type { Db } from '../../src/infra/sql';
import { endsOfPastDays } from '../../src/scoring/backfill-history';
import { BACKFILL_DAYS } from '../../src/scoring/scoring.scheduler';
import type { CoreServices } from '../../src/context';
import { INTERRUPTED_RUN_ERROR, LOCK_LOST_RUN_ERROR, refreshAllHealthScores, SCORING_BATCH_SIZE } from '../../src/scoring/scoring.service';
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { waitUntil } from '../helpers/auth';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { post } from './support';

const DAY = 86_400_000;
/** An instance with the hourly run on, which looks for abandoned work every 300 ms and rescores nothing on its own. */
const SURVIVOR_ENV = { SCORING_INTERVAL_MS: '3600000', RESCORE_SWEEP_MS: '300', RESCORE_DEBOUNCE_MS: '0' };

/** A session standing for the instance that will die, holding the advisory locks named as its work holds them. */
async function dyingInstance(database: TestDatabase, locks: string[], sharedLocks: string[] = []): Promise<Client> {
  const session = new Client({ connectionString: database.url });
  session.on('error', () => undefined);
  await session.connect();
  for (const name of locks) await session.query('select pg_advisory_lock(hashtext($1))', [name]);
  for (const name of sharedLocks) await session.query('select pg_advisory_lock_shared(hashtext($1))', [name]);
  return session;
}

/** Its death as PostgreSQL sees a killed process's: the session ends, its locks with it, nothing unlocked by hand. */
async function kill(database: TestDatabase, session: Client): Promise<void> {
  const [{ pid }] = (await session.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
  await sql(database, 'select pg_terminate_backend($1)', [pid]);
  await session.end().catch(() => undefined);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const FULL_RUN_LOCK = 'healthgraph.full-scoring-run';

/**
 * SQL: a pg_locks row is of this test's database. Advisory locks are per database: another test
 * file's runs hold the same keys in their own, and must be neither counted nor ended by this one.
 */
const IN_THIS_DATABASE = 'database = (select oid from pg_database where datname = current_database())';

/** SQL: the sessions holding the full-run lock in this test's database (a bigint key is held as its high and low 32 bits). */
const FULL_RUN_LOCK_HOLDERS = `select pid from pg_locks where locktype = 'advisory' and granted and mode = 'ExclusiveLock' and objsubid = 1
  and ${IN_THIS_DATABASE}
  and classid = ((hashtext('${FULL_RUN_LOCK}')::bigint >> 32) & 4294967295)::oid
  and objid = (hashtext('${FULL_RUN_LOCK}')::bigint & 4294967295)::oid`;

/** Runs `statement` in the transaction of every batch's insert of scores, while `work` goes on. */
async function duringEachBatch<T>(database: TestDatabase, statement: string, work: () => Promise<T>): Promise<T> {
  await sql(
    database,
    `create function during_batch() returns trigger language plpgsql as $$ begin ${statement}; return null; end $$;
     create trigger during_batch after insert on health_score for each statement execute function during_batch()`,
  );
  try {
    return await work();
  } finally {
    await sql(database, 'drop trigger during_batch on health_score; drop function during_batch()');
  }
}

async function insertCustomers(database: TestDatabase, prefix: string, count: number): Promise<void> {
  await sql(
    database,
    `insert into customer (id, name, created_at, updated_at)
     select '${prefix}_' || lpad(n::text, 5, '0'), '${prefix} ' || n, now(), now() from generate_series(1, ${count}) n`,
  );
}

describe('a full run whose instance died', () => {
  let survivor: TestServer;
  beforeAll(async () => {
    survivor = await startTestServer({ label: 'abandoned_run', env: SURVIVOR_ENV });
    await survivor.app.scheduler.idle();
    await sql(
      survivor.database,
      `insert into customer (id, name, created_at, updated_at)
       select 'abandoned_' || lpad(n::text, 3, '0'), 'Abandoned ' || n, now(), now() from generate_series(1, 50) n`,
    );
  });
  afterAll(() => survivor.stop());

  it('is marked FAILED, announced for resync, and run again by an instance still running, not at its next periodic run', async () => {
    const { database } = survivor;
    const announced = jest.spyOn(survivor.app.services.pubsub, 'announceLost');
    const dying = await dyingInstance(database, ['healthgraph.full-scoring-run']);
    const [{ id, startedAt }] = (
      await dying.query<{ id: string; startedAt: Date }>(
        `insert into scoring_run (status, as_of, customers_scored) values ('RUNNING', now(), 20) returning id::text as id, started_at as "startedAt"`,
      )
    ).rows;
    // Alive, its run is real: the sweeps leave it be.
    await pause(1000);
    expect(await sql(database, 'select status from scoring_run')).toEqual([{ status: 'RUNNING' }]);
    await kill(database, dying);
    await waitUntil(
      async () => (await sql(database, `select 1 from scoring_run where status = 'SUCCEEDED' and not backfill`)).length > 0,
      10_000,
      'the run taken over',
    );
    expect(await sql(database, 'select id::text as id, status, error, customers_scored as scored from scoring_run order by id')).toEqual([
      { id, status: 'FAILED', error: INTERRUPTED_RUN_ERROR, scored: 20 },
      { id: expect.any(String), status: 'SUCCEEDED', error: null, scored: 50 },
    ]);
    expect(announced).toHaveBeenCalledWith(startedAt);
  });

  it('is not run again, sweep after sweep, when a run fails on an error of its own (only a run it took over is)', async () => {
    const { database } = survivor;
    // Every score refused: the run for a new model version fails, and that version never has a good run.
    await sql(
      database,
      `create function refuse_score() returns trigger language plpgsql as $$ begin raise exception 'score refused'; end $$;
       create trigger refuse_score before insert on health_score for each statement execute function refuse_score()`,
    );
    const refused = async () =>
      (await sql<{ n: number }>(database, `select count(*)::int as n from scoring_run where error = 'score refused'`))[0].n;
    try {
      const answer = await post(survivor.url, {
        query: 'mutation { updateScoringModel(input: { tierPreset: "five_band_thriving" }) { version } }',
      });
      expect(answer.body.errors).toBeUndefined();
      await waitUntil(async () => (await refused()) > 0, 10_000, "the new model's run to fail");
      // Several sweeps.
      await pause(1500);
      await survivor.app.scheduler.idle();
      expect(await refused()).toBe(1);
      expect(await sql(database, `select 1 from scoring_run where status = 'RUNNING'`)).toEqual([]);
    } finally {
      await sql(database, 'drop trigger refuse_score on health_score; drop function refuse_score()');
    }
  });
});

describe('a full run whose lock session is lost while it works', () => {
  // Three batches and a bit: a batch is claimed after the first has committed.
  const CUSTOMERS = 3 * SCORING_BATCH_SIZE + 1;
  let server: TestServer;
  beforeAll(async () => {
    // No sweep here: what the run does itself is under test.
    server = await startTestServer({ label: 'lost_lock' });
    await insertCustomers(server.database, 'lost', CUSTOMERS);
  });
  afterAll(() => server.stop());

  const fullRun = (services: CoreServices = server.app.services) =>
    refreshAllHealthScores(services, server.app.orm.em.fork() as Db, null, true);

  it("leaves the row as another instance's sweep marked it (FAILED, interrupted), not SUCCEEDED over it", async () => {
    await sql(server.database, 'delete from scoring_run');
    // As the sweep of an instance that found the lock free would have marked it.
    const run = await duringEachBatch(
      server.database,
      `update scoring_run set status = 'FAILED', finished_at = now(), error = '${INTERRUPTED_RUN_ERROR}' where status = 'RUNNING'`,
      () => fullRun(),
    );
    expect([run?.status, run?.error]).toEqual(['FAILED', INTERRUPTED_RUN_ERROR]);
    expect(await sql(server.database, 'select status, error from scoring_run')).toEqual([
      { status: 'FAILED', error: INTERRUPTED_RUN_ERROR },
    ]);
  });

  it('keeps its lock through an idle_session_timeout set for its session, however long its batches take', async () => {
    await sql(server.database, 'delete from scoring_run');
    // As a database or role setting (or a proxy's idle timeout) would end it: the lock's session alone
    // gets it here, the pool's are left as they are.
    const timingOut = new URL(server.database.url);
    timingOut.searchParams.set('options', '-c idle_session_timeout=1000');
    const services = { ...server.app.services, config: { ...server.app.services.config, databaseUrl: timingOut.toString() } };
    const run = await duringEachBatch(server.database, 'perform pg_sleep(1.2)', () => fullRun(services));
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, customersScored: CUSTOMERS });
  });

  it('takes its lock again on a new session when the session holding it ends, nobody else having taken it, and goes on to the end', async () => {
    await sql(server.database, 'delete from scoring_run');
    // The lock's session ended once by an administrator (or the network) during the first batches.
    await sql(server.database, 'create table lock_session_ended (at timestamptz)');
    try {
      const run = await duringEachBatch(
        server.database,
        `perform pg_advisory_xact_lock(7);
         if not exists (select 1 from lock_session_ended) then
           insert into lock_session_ended values (now());
           perform pg_terminate_backend(pid) from (${FULL_RUN_LOCK_HOLDERS}) holders;
         end if`,
        () => fullRun(),
      );
      expect(await sql(server.database, 'select count(*)::int as n from lock_session_ended')).toEqual([{ n: 1 }]);
      expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, customersScored: CUSTOMERS });
    } finally {
      await sql(server.database, 'drop table lock_session_ended');
    }
  });
});

describe('a full run whose lock another session takes after the session holding it ended', () => {
  const CUSTOMERS = 3 * SCORING_BATCH_SIZE + 1;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'lock_taken', env: SURVIVOR_ENV });
    await server.app.scheduler.idle();
    await insertCustomers(server.database, 'taken', CUSTOMERS);
  });
  afterAll(() => server.stop());

  it('claims no further batch, ends FAILED saying so, and has its run done again on its instance once the lock is free', async () => {
    const { database } = server;
    await duringEachBatch(database, 'perform pg_sleep(0.3)', async () => {
      const running = refreshAllHealthScores(server.app.services, server.app.orm.em.fork() as Db, null, true);
      await waitUntil(
        async () => (await sql(database, `select 1 from scoring_run where status = 'RUNNING'`)).length > 0,
        10_000,
        'the run',
      );
      // Another session queues for the lock, and gets it as the session holding it is ended.
      const rival = new Client({ connectionString: database.url });
      rival.on('error', () => undefined);
      await rival.connect();
      try {
        const taken = rival.query('select pg_advisory_lock(hashtext($1))', [FULL_RUN_LOCK]);
        await waitUntil(
          async () =>
            (await sql(database, `select 1 from pg_locks where locktype = 'advisory' and not granted and ${IN_THIS_DATABASE}`)).length > 0,
          10_000,
          'the rival waiting',
        );
        await sql(database, `select pg_terminate_backend(pid) from (${FULL_RUN_LOCK_HOLDERS}) holders`);
        await taken;
        const run = await running;
        expect(run).toMatchObject({ status: 'FAILED', error: LOCK_LOST_RUN_ERROR });
        expect(run?.customersScored).toBeLessThan(CUSTOMERS);
        // While the rival holds the lock, the sweeps find it taken: nothing runs, and nothing is forgotten.
        await pause(1000);
        expect(await sql(database, 'select count(*)::int as n from scoring_run')).toEqual([{ n: 1 }]);
      } finally {
        await rival.end();
      }
      await waitUntil(
        async () => (await sql(database, `select 1 from scoring_run where status = 'SUCCEEDED'`)).length > 0,
        20_000,
        'the run done again',
      );
    });
    expect(await sql(database, 'select status, error, customers_scored as scored from scoring_run order by id')).toEqual([
      { status: 'FAILED', error: LOCK_LOST_RUN_ERROR, scored: expect.any(Number) },
      { status: 'SUCCEEDED', error: null, scored: CUSTOMERS },
    ]);
  });
});

describe("a first start's backfill whose instance died", () => {
  let database: TestDatabase;
  let survivor: TestServer;
  beforeAll(async () => {
    database = await createTestDatabase('abandoned_backfill');
    // Started before there is anything to backfill: its own start does none.
    survivor = await startTestServer({ database, env: SURVIVOR_ENV });
    await survivor.app.scheduler.idle();
  });
  afterAll(async () => {
    await survivor.stop();
    await database.drop();
  });

  it('is resumed by an instance still running: the days not yet scored, then now', async () => {
    const loader = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0' } });
    const customerId = 'cust_abandoned_backfill';
    try {
      await loader.gql(UpsertCustomerDocument, {
        input: { id: customerId, name: customerId, signedUpAt: new Date(Date.now() - 120 * DAY).toISOString() },
      });
      const events = Array.from({ length: 60 }, (_, d) => ({
        customerId,
        eventType: 'login',
        occurredAt: new Date(Date.now() - d * DAY).toISOString(),
      }));
      await loader.gql(TrackEngagementBatchDocument, { events });
      // The instance that dies: its first start holds the backfill's lock and the hold on live scoring,
      // has scored five days, and is in the middle of the sixth.
      const dying = await dyingInstance(database, ['healthgraph.first-start-backfill'], ['healthgraph:bulk-load']);
      const days = endsOfPastDays(BACKFILL_DAYS, new Date());
      const db = loader.app.orm.em.fork() as Db;
      for (const asOf of days.slice(0, 5)) await refreshAllHealthScores(loader.app.services, db, asOf, true, { firstStart: true });
      await dying.query('select pg_advisory_lock(hashtext($1))', ['healthgraph.full-scoring-run']);
      await dying.query(`insert into scoring_run (status, as_of, first_start, backfill) values ('RUNNING', $1, true, true)`, [days[5]]);
      const history = async () =>
        (await sql<{ n: number }>(database, 'select count(*)::int as n from health_score where customer_id = $1', [customerId]))[0].n;
      await pause(1000);
      expect(await history()).toBe(5);
      await kill(database, dying);
      await waitUntil(
        async () =>
          (await sql(database, `select 1 from scoring_run where first_start and not backfill and status = 'SUCCEEDED'`)).length > 0,
        30_000,
        'the first start resumed',
      );
      expect(await history()).toBe(BACKFILL_DAYS + 1);
      expect(await sql(database, `select error from scoring_run where status = 'FAILED'`)).toEqual([{ error: INTERRUPTED_RUN_ERROR }]);
    } finally {
      await loader.stop();
    }
  });
});

describe("a first start's backfill that failed on an error of its own", () => {
  let survivor: TestServer;
  beforeAll(async () => {
    survivor = await startTestServer({ label: 'failed_backfill', env: SURVIVOR_ENV });
    await survivor.app.scheduler.idle();
  });
  afterAll(() => survivor.stop());

  it('is not resumed by the sweeps (a start still resumes it)', async () => {
    const { database } = survivor;
    await sql(database, `insert into customer (id, name, created_at, updated_at) values ('cust_failed_backfill', 'Failed', now(), now())`);
    await sql(
      database,
      `insert into engagement_event (customer_id, event_type, occurred_at) values ('cust_failed_backfill', 'login', now())`,
    );
    // Its first day's run failed on a statement timeout, its instance alive: no run is left RUNNING.
    await sql(
      database,
      `insert into scoring_run (status, as_of, first_start, backfill, finished_at, error)
       values ('FAILED', now() - interval '30 days', true, true, now(), 'canceling statement due to statement timeout')`,
    );
    await pause(1500);
    await survivor.app.scheduler.idle();
    expect(await sql(database, 'select count(*)::int as n from scoring_run')).toEqual([{ n: 1 }]);
  });
});
