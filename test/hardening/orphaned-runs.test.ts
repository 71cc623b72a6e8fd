// A scoring_run left RUNNING by a process that died is FAILED at the next start, with the reason,
// unless another instance is running a full run right now (it holds the full-run lock: its run is
// real). The next full run, holding the lock, clears what is left.
import { Client } from 'pg';
import type { Db } from '../../src/infra/sql';
import { INTERRUPTED_RUN_ERROR, refreshAllHealthScores, SCORING_BATCH_SIZE } from '../../src/scoring/scoring.service';
import { DRAIN_GRACE_MS } from '../../src/infra/shutdown-drain';
import { sql, TestDatabase } from '../helpers/database';
import { waitUntil } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';
import { post } from './support';

let first: TestServer;

const runs = () =>
  sql<{ id: string; status: string; error: string | null }>(
    first.database,
    'select id::text as id, status, error from scoring_run order by id',
  );
const leaveRunning = () => sql(first.database, "insert into scoring_run (status, as_of) values ('RUNNING', now())");

/** The full-run lock of `database` as another instance in the middle of its run holds it. */
async function holdFullRunLock(database: TestDatabase): Promise<Client> {
  const other = new Client({ connectionString: database.url });
  other.on('error', () => undefined);
  await other.connect();
  await other.query("select pg_advisory_lock(hashtext('healthgraph.full-scoring-run'))");
  return other;
}

/** Waits for `condition`, which a loaded machine may take long to meet: the deadline only ends a test that would hang. */
function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  return waitUntil(condition, 45_000, what);
}

beforeAll(async () => {
  first = await startTestServer({ label: 'orphaned_runs' });
});
afterAll(() => first.stop());

it('marks a run left RUNNING as FAILED when an instance starts', async () => {
  await leaveRunning();
  const restarted = await startTestServer({ database: first.database });
  try {
    await restarted.app.scheduler.recovered();
    expect(await runs()).toEqual([{ id: expect.any(String), status: 'FAILED', error: INTERRUPTED_RUN_ERROR }]);
  } finally {
    await restarted.stop();
  }
});

it('leaves a RUNNING run alone while another instance holds the full-run lock, and the next full run clears it', async () => {
  await sql(first.database, 'delete from scoring_run');
  await leaveRunning();
  // Another instance in the middle of a full run: it holds the lock.
  const other = new Client({ connectionString: first.database.url });
  await other.connect();
  try {
    await other.query("select pg_advisory_lock(hashtext('healthgraph.full-scoring-run'))");
    const restarted = await startTestServer({ database: first.database });
    await restarted.app.scheduler.recovered();
    await restarted.stop();
    expect((await runs()).map((run) => run.status)).toEqual(['RUNNING']);
  } finally {
    await other.end();
  }
  const run = await post(first.url, { query: 'mutation { refreshAllHealthScores { status } }' });
  expect(run.body.data).toEqual({ refreshAllHealthScores: { status: 'SUCCEEDED' } });
  expect((await runs()).map((r) => [r.status, r.error])).toEqual([
    ['FAILED', INTERRUPTED_RUN_ERROR],
    ['SUCCEEDED', null],
  ]);
});

it('lists the runs newest first through scoringRuns, with why a FAILED one failed, filtered by status and paged', async () => {
  const listed = await post(first.url, {
    query: '{ scoringRuns(first: 10) { totalCount edges { node { id status error customersScored finishedAt } } } }',
  });
  const stored = await runs();
  const edges = (
    listed.body.data as {
      scoringRuns: { totalCount: number; edges: Array<{ node: { id: string; status: string; error: string | null } }> };
    }
  ).scoringRuns;
  expect(edges.totalCount).toBe(stored.length);
  expect(edges.edges.map(({ node }) => [node.id, node.status, node.error])).toEqual(
    [...stored].reverse().map((run) => [run.id, run.status, run.error]),
  );
  const failed = await post(first.url, { query: '{ scoringRuns(status: "FAILED") { edges { node { error } } } }' });
  expect(failed.body.data).toEqual({ scoringRuns: { edges: [{ node: { error: INTERRUPTED_RUN_ERROR } }] } });
  const page = await post(first.url, { query: '{ scoringRuns(first: 1) { edges { cursor } pageInfo { hasNextPage } } }' });
  expect(page.body.data).toMatchObject({ scoringRuns: { pageInfo: { hasNextPage: true } } });
  const refused = await post(first.url, { query: '{ scoringRuns(status: "DONE") { totalCount } }' });
  expect(refused.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
});

it('counts the customers of each committed batch while a run is going, so an interrupted run tells how far it got', async () => {
  await sql(first.database, 'delete from scoring_run');
  // One batch more than a full one; the last customer's score is written only after the full batch
  // has committed (whichever batch a loaded machine finishes first), and once the test has read the run's
  // progress then (a row in progress_read), so the run is still going when it is read.
  await sql(first.database, 'create table progress_read (at timestamptz)');
  await sql(
    first.database,
    `insert into customer (id, name, created_at, updated_at)
     select 'progress_' || lpad(n::text, 5, '0'), 'Progress ' || n, now(), now() from generate_series(1, ${SCORING_BATCH_SIZE + 1}) n`,
  );
  await sql(
    first.database,
    `create function slow_score() returns trigger language plpgsql as $$
     begin
       for i in 1..1200 loop
         exit when (select coalesce(max(customers_scored), 0) from scoring_run) >= ${SCORING_BATCH_SIZE}
               and exists (select 1 from progress_read);
         perform pg_sleep(0.05);
       end loop;
       return new;
     end $$;
     create trigger slow_score before insert on health_score for each row
       when (new.customer_id = 'progress_${String(SCORING_BATCH_SIZE + 1).padStart(5, '0')}') execute function slow_score()`,
  );
  try {
    const finished = post(first.url, { query: 'mutation { refreshAllHealthScores { status customersScored } }' });
    let progress: Array<{ status: string; scored: number }> = [];
    await waitFor(async () => {
      progress = await sql(first.database, 'select status, customers_scored as scored from scoring_run');
      return progress[0]?.scored > 0;
    }, 'the first batch to commit');
    await sql(first.database, 'insert into progress_read values (now())');
    expect(progress).toEqual([{ status: 'RUNNING', scored: SCORING_BATCH_SIZE }]);
    const customers = Number((await sql<{ n: string }>(first.database, 'select count(*) as n from customer'))[0].n);
    expect((await finished).body.data).toEqual({ refreshAllHealthScores: { status: 'SUCCEEDED', customersScored: customers } });
  } finally {
    await sql(first.database, 'drop trigger slow_score on health_score; drop function slow_score(); drop table progress_read');
  }
});

it("commits a run's counts with its batches: a batch whose count cannot be written is not written either", async () => {
  await sql(first.database, 'delete from scoring_run');
  // The count of the run's first batch fails, as a process killed between the two would have left it.
  await sql(
    first.database,
    `create function refuse_count() returns trigger language plpgsql as $$ begin raise exception 'count refused'; end $$;
     create trigger refuse_count before update on scoring_run for each row
       when (new.customers_scored > old.customers_scored) execute function refuse_count()`,
  );
  try {
    const run = await post(first.url, { query: 'mutation { refreshAllHealthScores { status } }' });
    expect(run.body.errors?.[0].message).toMatch(/count refused|internal/i);
  } finally {
    await sql(first.database, 'drop trigger refuse_count on scoring_run; drop function refuse_count()');
  }
  const [row] = await sql<{ status: string; scored: number; asOf: Date; error: string }>(
    first.database,
    'select status, customers_scored as scored, as_of as "asOf", error from scoring_run',
  );
  expect([row.status, row.scored]).toEqual(['FAILED', 0]);
  // The reason, as the database gave it: not the statement it ended.
  expect(row.error).toBe('count refused');
  // No score of that run committed: the row's 0 is what happened.
  const written = await sql<{ n: string }>(first.database, 'select count(*) as n from health_score where as_of = $1', [row.asOf]);
  expect(Number(written[0].n)).toBe(0);
});

it('records why a run failed as the database said it, not the statement it was running, when its session is ended', async () => {
  await sql(first.database, 'delete from scoring_run');
  const [{ id }] = await sql<{ id: string }>(first.database, 'select min(id) as id from customer');
  // The batch scoring the first customer sleeps in its insert, where an administrator ends its session.
  await sql(
    first.database,
    `create function hold_score() returns trigger language plpgsql as $$ begin perform pg_sleep(60); return new; end $$;
     create trigger hold_score before insert on health_score for each row when (new.customer_id = '${id}') execute function hold_score()`,
  );
  try {
    const answer = post(first.url, { query: 'mutation { refreshAllHealthScores { status } }' });
    const sleeping = () =>
      sql<{ pid: number }>(
        first.database,
        "select pid from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'",
      );
    await waitFor(async () => (await sleeping()).length > 0, 'the batch to sleep in its insert');
    await sql(
      first.database,
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'",
    );
    const response = await answer;
    expect([response.status, response.body.errors?.[0]?.extensions?.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
  } finally {
    await sql(first.database, 'drop trigger hold_score on health_score; drop function hold_score()');
  }
  const listed = await post(first.url, { query: '{ scoringRuns(first: 1) { edges { node { status error } } } }' });
  expect(listed.body.data).toEqual({
    scoringRuns: { edges: [{ node: { status: 'FAILED', error: 'terminating connection due to administrator command' } }] },
  });
});

it('runs again, at the next start, a full run that was cut short (tiers half of one model and half of another otherwise wait an hour)', async () => {
  await sql(first.database, 'delete from scoring_run');
  await leaveRunning();
  const restarted = await startTestServer({ database: first.database, env: { SCORING_INTERVAL_MS: '3600000' } });
  try {
    await restarted.app.scheduler.recovered();
    await restarted.app.scheduler.idle();
    expect((await runs()).map((run) => [run.status, run.error])).toEqual([
      ['FAILED', INTERRUPTED_RUN_ERROR],
      ['SUCCEEDED', null],
    ]);
  } finally {
    await restarted.stop();
  }
});

it('ends a full run at the batch in flight when the service stops, and the next start runs it again', async () => {
  await sql(first.database, 'delete from scoring_run');
  const { services } = first.app;
  // Stopping once the first batch has been read: the batches in flight finish, no further one starts.
  let asked = 0;
  const run = await refreshAllHealthScores(services, services.orm.em.fork() as Db, null, true, { stopped: () => ++asked > 1 });
  const customers = Number((await sql<{ n: string }>(first.database, 'select count(*) as n from customer'))[0].n);
  expect(customers).toBeGreaterThan(SCORING_BATCH_SIZE);
  expect(run).toMatchObject({ status: 'FAILED', error: INTERRUPTED_RUN_ERROR, customersScored: SCORING_BATCH_SIZE });
  const restarted = await startTestServer({ database: first.database, env: { SCORING_INTERVAL_MS: '3600000' } });
  try {
    await restarted.app.scheduler.recovered();
    await restarted.app.scheduler.idle();
    const after = await sql<{ status: string; scored: number }>(
      first.database,
      'select status, customers_scored as scored from scoring_run order by id',
    );
    expect(after).toEqual([
      { status: 'FAILED', scored: SCORING_BATCH_SIZE },
      { status: 'SUCCEEDED', scored: customers },
    ]);
  } finally {
    await restarted.stop();
  }
});

it("stops the scheduler's full run at the batches in flight when the service stops, marked interrupted", async () => {
  await sql(first.database, 'delete from scoring_run');
  // More batches than a run has in flight at once, so that some are still to be read when the stop comes.
  await sql(
    first.database,
    `insert into customer (id, name, created_at, updated_at)
     select 'stopped_' || lpad(n::text, 5, '0'), 'Stopped ' || n, now(), now() from generate_series(1, ${2 * SCORING_BATCH_SIZE}) n`,
  );
  const customers = Number((await sql<{ n: string }>(first.database, 'select count(*) as n from customer'))[0].n);
  expect(customers).toBeGreaterThan(3 * SCORING_BATCH_SIZE);
  // Each score waits a little: the stop comes while the run is at its first batches.
  await sql(
    first.database,
    `create function slow_scores() returns trigger language plpgsql as $$ begin perform pg_sleep(0.001); return new; end $$;
     create trigger slow_scores before insert on health_score for each row execute function slow_scores()`,
  );
  const instance = await startTestServer({ database: first.database, env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } });
  try {
    await instance.app.scheduler.recovered();
    await instance.app.scheduler.idle();
    // A model activation: the scheduler's full run of everyone.
    await post(instance.url, { query: 'mutation { updateScoringModel(input: { tierPreset: "three_tier" }) { version } }' });
    await waitFor(async () => (await runs()).length > 0, 'the run for the activation to start');
  } finally {
    await instance.stop();
    await sql(first.database, 'drop trigger slow_scores on health_score; drop function slow_scores()');
  }
  const [run] = await sql<{ status: string; error: string | null; scored: number }>(
    first.database,
    'select status, error, customers_scored as scored from scoring_run',
  );
  expect(run).toMatchObject({ status: 'FAILED', error: INTERRUPTED_RUN_ERROR });
  expect(run.scored).toBeLessThan(customers);
  await post(first.url, { query: 'mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }' });
});

describe('a refreshAllHealthScores call when the service stops', () => {
  it('is answered 503 at once, naming its run, which claims no further batch and ends marked interrupted before the service has stopped', async () => {
    await sql(first.database, 'delete from scoring_run');
    // More batches than a run has in flight at once, so that some are still to be read when the stop comes.
    await sql(
      first.database,
      `insert into customer (id, name, created_at, updated_at)
       select 'asked_' || lpad(n::text, 5, '0'), 'Asked ' || n, now(), now() from generate_series(1, ${3 * SCORING_BATCH_SIZE}) n
       on conflict do nothing`,
    );
    const customers = Number((await sql<{ n: string }>(first.database, 'select count(*) as n from customer'))[0].n);
    // Each score waits a little: a batch lasts seconds, and the run many times that.
    await sql(
      first.database,
      `create function slow_scores() returns trigger language plpgsql as $$ begin perform pg_sleep(0.001); return new; end $$;
       create trigger slow_scores before insert on health_score for each row execute function slow_scores()`,
    );
    const instance = await startTestServer({ database: first.database, redis: true });
    let stopped: Promise<void> | undefined;
    try {
      const answer = post(instance.url, { query: 'mutation { refreshAllHealthScores { id status customersScored error } }' });
      await waitFor(async () => (await runs()).some((run) => run.status === 'RUNNING'), 'the run to start');
      const stoppedAt = Date.now();
      stopped = instance.stop();
      const response = await answer;
      // Within the drain, not after the batches in flight: they may outlast it.
      expect(Date.now() - stoppedAt).toBeLessThan(DRAIN_GRACE_MS / 2);
      const [running] = await runs();
      expect([response.status, response.headers.get('retry-after')]).toEqual([503, '5']);
      expect(response.body).toEqual({
        data: { refreshAllHealthScores: null },
        errors: [
          expect.objectContaining({
            message: expect.stringMatching(new RegExp(`^the server is stopping: full scoring run ${running.id} claims no further batch`)),
            extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5, runId: running.id },
          }),
        ],
      });
      // The stop ends once the run has finished its batches in flight and is marked.
      await stopped;
      const [run] = await sql<{ status: string; error: string | null; scored: number; finished: boolean }>(
        first.database,
        'select status, error, customers_scored as scored, finished_at is not null as finished from scoring_run',
      );
      expect(run).toMatchObject({ status: 'FAILED', error: INTERRUPTED_RUN_ERROR, finished: true });
      expect(run.scored % SCORING_BATCH_SIZE).toBe(0);
      expect(run.scored).toBeLessThan(customers);
    } finally {
      await (stopped ?? instance.stop());
      await sql(first.database, 'drop trigger slow_scores on health_score; drop function slow_scores()');
    }
  });

  it('answers 503 at once with nothing written to calls still waiting for the lock or for their turn, and the stop does not wait for the lock', async () => {
    await sql(first.database, 'delete from scoring_run');
    const other = await holdFullRunLock(first.database);
    const instance = await startTestServer({ database: first.database });
    try {
      const waiting = [1, 2].map(() => post(instance.url, { query: 'mutation { refreshAllHealthScores { id status } }' }));
      // One waits for the lock (its session's wait shows in pg_locks), the other for its turn on the instance.
      await waitFor(
        async () =>
          (
            await sql<{ n: number }>(
              first.database,
              "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())",
            )
          )[0].n === 1,
        'a call to wait for the lock',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stoppedAt = Date.now();
      await instance.stop();
      expect(Date.now() - stoppedAt).toBeLessThan(DRAIN_GRACE_MS / 2);
      for (const response of await Promise.all(waiting)) {
        expect([response.status, response.headers.get('retry-after')]).toEqual([503, '5']);
        expect(response.body.errors).toEqual([
          expect.objectContaining({
            message: 'the server is stopping: this full scoring run was not started, and nothing was written; send it again',
            extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 },
          }),
        ]);
      }
      expect(await runs()).toEqual([]);
      expect(
        (
          await sql<{ n: number }>(
            first.database,
            "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())",
          )
        )[0].n,
      ).toBe(0);
    } finally {
      await other.end();
    }
  });
});

describe('the runs a start owes, read from the database (nothing of a dead process is remembered)', () => {
  const CUSTOMERS = SCORING_BATCH_SIZE + SCORING_BATCH_SIZE / 2;
  let owing: TestServer;

  const ownRuns = () =>
    sql<{ status: string; error: string | null; backfill: boolean; asOf: Date; scored: number; modelVersion: number | null }>(
      owing.database,
      `select status, error, backfill, as_of as "asOf", customers_scored as scored, model_version as "modelVersion" from scoring_run order by id`,
    );

  /** An instance with periodic scoring on (an hour: its timer never fires here), started and done with what it owes. */
  async function restart(): Promise<TestServer> {
    const instance = await startTestServer({ database: owing.database, env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } });
    await instance.app.scheduler.recovered();
    await instance.app.scheduler.idle();
    return instance;
  }

  beforeAll(async () => {
    owing = await startTestServer({ label: 'owed_runs' });
    // Two batches, the second not full: a run reads both at once. Signed up two days ago, so a past-dated run scores them.
    await sql(
      owing.database,
      `insert into customer (id, name, signed_up_at, created_at, updated_at)
       select 'owed_' || lpad(n::text, 5, '0'), 'Owed ' || n, now() - interval '2 days', now(), now() from generate_series(1, ${CUSTOMERS}) n`,
    );
  });
  afterAll(() => owing.stop());

  it("runs, at the next start, the full run of a model activated before its run began (the process died while another instance's run held the lock)", async () => {
    await post(owing.url, { query: 'mutation { refreshAllHealthScores { status } }' });
    const other = await holdFullRunLock(owing.database);
    let activated: number;
    try {
      const instance = await startTestServer({
        database: owing.database,
        env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' },
      });
      try {
        await instance.app.scheduler.recovered();
        const answer = await post(instance.url, {
          query: 'mutation { updateScoringModel(input: { tierPreset: "five_band_thriving" }) { version } }',
        });
        activated = (answer.body.data as { updateScoringModel: { version: number } }).updateScoringModel.version;
        // Its run waits for the lock: the instance stops before it has a row.
        await waitFor(
          async () =>
            (
              await sql<{ n: number }>(
                owing.database,
                "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())",
              )
            )[0].n === 1,
          'the run for the new model to wait for the lock',
        );
      } finally {
        await instance.stop();
      }
    } finally {
      await other.end();
    }
    expect((await ownRuns()).map((run) => run.modelVersion)).toEqual([activated - 1]);
    const restarted = await restart();
    try {
      expect((await ownRuns()).map((run) => [run.status, run.modelVersion, run.scored])).toEqual([
        ['SUCCEEDED', activated - 1, CUSTOMERS],
        ['SUCCEEDED', activated, CUSTOMERS],
      ]);
      // Every customer's current point is the active model's: its tiers, not the old model's.
      const latest = await sql<{ version: number; customers: number }>(
        owing.database,
        `select model_version as version, count(*)::int as customers
         from (select distinct on (customer_id) model_version from health_score order by customer_id, as_of desc, id desc) latest
         group by model_version`,
      );
      expect(latest).toEqual([{ version: activated, customers: CUSTOMERS }]);
    } finally {
      await restarted.stop();
    }
    // A start that owes nothing runs nothing.
    await (await restart()).stop();
    expect(await ownRuns()).toHaveLength(2);
  });

  it('runs again, at the next start, a past-dated run that was cut short, as of its own instant, each customer scored there once', async () => {
    await sql(owing.database, 'delete from scoring_run');
    const asOf = new Date(Date.now() - 86_400_000);
    const { services } = owing.app;
    let asked = 0;
    const cut = await refreshAllHealthScores(services, services.orm.em.fork() as Db, asOf, true, { stopped: () => ++asked > 1 });
    expect(cut).toMatchObject({ status: 'FAILED', error: INTERRUPTED_RUN_ERROR, backfill: true, customersScored: SCORING_BATCH_SIZE });
    const restarted = await restart();
    try {
      expect((await ownRuns()).map((run) => [run.status, run.backfill, run.asOf.toISOString(), run.scored])).toEqual([
        ['FAILED', true, asOf.toISOString(), SCORING_BATCH_SIZE],
        ['SUCCEEDED', true, asOf.toISOString(), CUSTOMERS],
      ]);
      const [points] = await sql<{ points: number; customers: number }>(
        owing.database,
        'select count(*)::int as points, count(distinct customer_id)::int as customers from health_score where as_of = $1',
        [asOf],
      );
      expect(points).toEqual({ points: CUSTOMERS, customers: CUSTOMERS });
    } finally {
      await restarted.stop();
    }
    // Run again once: the next start finds a run as of that instant after the one cut short.
    await (await restart()).stop();
    expect(await ownRuns()).toHaveLength(2);
  });

  it("runs again a past-dated run cut short though another instance's run as of now succeeded after it", async () => {
    await sql(owing.database, 'delete from scoring_run');
    const asOf = new Date(Date.now() - 86_400_000);
    const { services } = owing.app;
    let asked = 0;
    const cut = await refreshAllHealthScores(services, services.orm.em.fork() as Db, asOf, true, { stopped: () => ++asked > 1 });
    expect(cut).toMatchObject({ status: 'FAILED', backfill: true });
    // Another instance's hourly run, minutes after.
    const live = await refreshAllHealthScores(services, services.orm.em.fork() as Db, null, true);
    expect(live).toMatchObject({ status: 'SUCCEEDED', backfill: false });
    await (await restart()).stop();
    expect((await ownRuns()).map((run) => [run.status, run.backfill && run.asOf.toISOString(), run.scored])).toEqual([
      ['FAILED', asOf.toISOString(), SCORING_BATCH_SIZE],
      ['SUCCEEDED', false, CUSTOMERS],
      ['SUCCEEDED', asOf.toISOString(), CUSTOMERS],
    ]);
  });

  it('runs a past-dated run cut short again once when instances start together, each owing it', async () => {
    await sql(owing.database, 'delete from scoring_run');
    const asOf = new Date(Date.now() - 86_400_000);
    const { services } = owing.app;
    let asked = 0;
    await refreshAllHealthScores(services, services.orm.em.fork() as Db, asOf, true, { stopped: () => ++asked > 1 });
    // Both read what is owed, then wait for the lock another instance's run holds.
    const other = await holdFullRunLock(owing.database);
    const instances: TestServer[] = [];
    try {
      for (let i = 0; i < 2; i++)
        instances.push(
          await startTestServer({ database: owing.database, env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } }),
        );
      await waitFor(
        async () =>
          (
            await sql<{ n: number }>(
              owing.database,
              "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())",
            )
          )[0].n === 2,
        'both instances to wait for the lock',
      );
    } finally {
      await other.end();
    }
    await Promise.all(instances.map((instance) => instance.app.scheduler.idle()));
    await Promise.all(instances.map((instance) => instance.stop()));
    expect((await ownRuns()).map((run) => [run.status, run.asOf.toISOString(), run.scored])).toEqual([
      ['FAILED', asOf.toISOString(), SCORING_BATCH_SIZE],
      ['SUCCEEDED', asOf.toISOString(), CUSTOMERS],
    ]);
  });

  it('answers a refreshAllHealthScores whose run had claimed its last batches when the service stopped that the run will succeed, as it does', async () => {
    await sql(owing.database, 'delete from scoring_run');
    // A customer of the second batch held by another session: the run's first batch commits, its last waits.
    const holder = new Client({ connectionString: owing.database.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query(`select 1 from customer where id = 'owed_${String(CUSTOMERS).padStart(5, '0')}' for update`);
    const instance = await startTestServer({ database: owing.database });
    let stopped: Promise<void> | undefined;
    try {
      const answer = post(instance.url, { query: 'mutation { refreshAllHealthScores { id status } }' });
      await waitFor(
        async () => (await ownRuns()).some((run) => run.status === 'RUNNING' && run.scored === SCORING_BATCH_SIZE),
        'the first batch to commit',
      );
      stopped = instance.stop();
      const response = await answer;
      expect(response.status).toBe(503);
      const [error] = response.body.errors as Array<{ message: string; extensions: { runId: string } }>;
      expect(error.message).toBe(
        `the server is stopping: full scoring run ${error.extensions.runId} had claimed its last batches: it ends SUCCEEDED once they have committed, unless one fails (scoringRuns tells how it ended)`,
      );
      await holder.query('commit');
      await stopped;
      expect((await ownRuns()).map((run) => [run.status, run.scored])).toEqual([['SUCCEEDED', CUSTOMERS]]);
    } finally {
      await holder.end();
      await (stopped ?? instance.stop());
    }
  });
});
