// Continuous scoring: debounced rescoring after new signals, one full run at a time across
// instances, and the 30-day backfill on the first start over existing data.
import { Client } from 'pg';
import type { Db } from '../../src/infra/sql';
import { endsOfPastDays } from '../../src/scoring/backfill-history';
import { holdingRescoring } from '../../src/scoring/bulk-load-hold';
import { endBusySessions, sessionNameOf } from '../../src/infra/shutdown-drain';
import { CLAIM_LEASE_MS, claimQueuedCustomers, putBackInQueue } from '../../src/scoring/rescore-queue';
import { BACKFILL_DAYS, rescoreQueued } from '../../src/scoring/scoring.scheduler';
import { refreshAllHealthScores, rescoreRequested } from '../../src/scoring/scoring.service';
import {
  CustomerScoreStateDocument,
  RecordPaymentDocument,
  RecordSupportTicketDocument,
  RefreshAllDocument,
  ScoreHistoryDocument,
  SubmitNpsResponseDocument,
  TrackEngagementBatchDocument,
  TrackEngagementDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
/** How long a wait for something the service is to do may last: only a test that would hang reaches it, however loaded the machine. */
const DEADLINE_MS = 30_000;
/**
 * A test whose start backfills: BACKFILL_DAYS + 1 full runs one after another, which a machine running
 * other test files (CI runs two at once) takes well over jest's default minute to do.
 */
const BACKFILLING_TEST_TIMEOUT_MS = 240_000;

describe('debounced rescoring', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'debounce', env: { RESCORE_DEBOUNCE_MS: '300' } });
  });
  afterAll(() => server.stop());

  it('rescores a customer within seconds of new signals, once for a burst', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_burst', name: 'Burst' } });
    await Promise.all(
      Array.from({ length: 20 }, () => server.gql(TrackEngagementDocument, { input: { customerId: 'cust_burst', eventType: 'login' } })),
    );
    const deadline = Date.now() + DEADLINE_MS;
    let score: number | null | undefined = null;
    while (Date.now() < deadline && score == null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      score = (await server.gql(CustomerScoreStateDocument, { id: 'cust_burst' })).customer.healthScore;
    }
    expect(score).not.toBeNull();
    await server.app.scheduler.idle();
    const history = await server.gql(ScoreHistoryDocument, { customerId: 'cust_burst' });
    expect(history.healthScoreHistory.totalCount).toBeLessThanOrEqual(2);
  });

  it('accepts events for a customer while a scoring batch holds its row', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_locked', name: 'Locked' } });
    await server.app.scheduler.idle();
    // A scoring batch locks its customers' rows for its whole transaction (see score-customers.ts).
    const scoring = new Client({ connectionString: server.database.url });
    await scoring.connect();
    try {
      await scoring.query('begin');
      await scoring.query("select 1 from customer where id = 'cust_locked' for no key update");
      // Answered while the row is still locked (the lock is let go only below): a write waiting for it
      // would not be, whatever the deadline.
      const writes = (async () => {
        const single = await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_locked', eventType: 'login' } });
        const batch = await server.gql(TrackEngagementBatchDocument, {
          events: [{ customerId: 'cust_locked', eventType: 'feature_used', feature: 'reports' }],
        });
        return { single, batch };
      })();
      const answered = await Promise.race([writes, new Promise<null>((resolve) => setTimeout(() => resolve(null), DEADLINE_MS))]);
      expect(answered?.single.trackEngagement.customerId).toBe('cust_locked');
      expect(answered?.batch.trackEngagementBatch.accepted).toBe(1);
    } finally {
      await scoring.query('rollback');
      await scoring.end();
    }
  });
});

describe('rescoring under a steady stream of signals', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'maxwait', env: { RESCORE_DEBOUNCE_MS: '300', RESCORE_MAX_WAIT_MS: '1000' } });
  });
  afterAll(() => server.stop());

  it('rescores at the latest the max wait after the first signal, in rounds rather than after every pause-free call', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_stream', name: 'Stream' } });
    await server.app.scheduler.idle();
    const scoredBefore = (await server.gql(ScoreHistoryDocument, { customerId: 'cust_stream' })).healthScoreHistory.totalCount;
    // An event every 100 ms for 3.2 s: never quiet for the 300 ms debounce, unless a loaded machine
    // holds a call past it. Each signal's instant as the server took it (the event's default occurredAt).
    const signals: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 3200) {
      const { trackEngagement } = await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_stream', eventType: 'login' } });
      signals.push(Date.parse(trackEngagement.occurredAt));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await server.app.scheduler.idle();
    const history = (await server.gql(ScoreHistoryDocument, { customerId: 'cust_stream', first: 100 })).healthScoreHistory;
    const rounds = history.totalCount - scoredBefore;
    // Rescored during the stream, within the max wait of its first signal: the first rescore's instant
    // (when it began, as the server recorded it, whatever the load did to this loop's timing).
    const rescoredAt = history.edges.map((e) => Date.parse(e.node.asOf)).filter((at) => at >= signals[0]);
    expect(rescoredAt.length).toBeGreaterThan(0);
    expect(Math.min(...rescoredAt) - signals[0]).toBeLessThan(1800);
    // ...about once per second of stream, not once per debounce window (with a 300 ms throttle: ~10):
    // a round per max wait the stream lasted, one after it, one for a second the stream straddles, and
    // one per pause of a debounce or more between two signals, where a round is due.
    const pauses = signals.slice(1).filter((at, i) => at - signals[i] >= 300).length;
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(rounds).toBeLessThanOrEqual(Math.floor((signals[signals.length - 1] - signals[0]) / 1000) + 2 + pauses);
  });
});

describe('customers queued by an instance that stopped', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'sweep', env: { RESCORE_DEBOUNCE_MS: '100', RESCORE_SWEEP_MS: '300' } });
  });
  afterAll(() => server.stop());

  it('are scored by the instances still running, which look for them now and then', async () => {
    // Written the way an instance (or `npm run import`) leaves them: committed and queued, nobody woken.
    await sql(server.database, `insert into customer (id, name) values ('cust_orphaned', 'Orphaned')`);
    await sql(server.database, `insert into rescore_request (customer_id, requested_at) values ('cust_orphaned', now())`);
    const deadline = Date.now() + DEADLINE_MS;
    let score: number | null | undefined = null;
    while (Date.now() < deadline && score == null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      score = (await server.gql(CustomerScoreStateDocument, { id: 'cust_orphaned' })).customer.healthScore;
    }
    expect(score).not.toBeNull();
    expect(await sql(server.database, `select 1 from rescore_request where customer_id = 'cust_orphaned'`)).toEqual([]);
    expect(await sql(server.database, `select 1 from rescore_claim`)).toEqual([]);
  });
});

describe('a bulk load going on (npm run demo:seed beside a running service)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'bulk_hold', env: { RESCORE_DEBOUNCE_MS: '100', RESCORE_SWEEP_MS: '300' } });
  });
  afterAll(() => server.stop());

  const scoreOf = async (id: string) => (await server.gql(CustomerScoreStateDocument, { id })).customer.healthScore;

  it('holds continuous rescoring off until it ends, then the customers it queued are scored', async () => {
    await holdingRescoring(server.database.url, async () => {
      await server.gql(UpsertCustomerDocument, { input: { id: 'cust_half_loaded', name: 'Half loaded' } });
      await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_half_loaded', eventType: 'login' } });
      // Several debounces and sweeps pass: nothing is scored while the load goes on.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await scoreOf('cust_half_loaded')).toBeNull();
      expect(await sql(server.database, `select 1 from rescore_request where customer_id = 'cust_half_loaded'`)).toHaveLength(1);
    });
    const deadline = Date.now() + DEADLINE_MS;
    while (Date.now() < deadline && (await scoreOf('cust_half_loaded')) == null) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await scoreOf('cust_half_loaded')).not.toBeNull();
  });

  it('is kept through an idle_session_timeout set for its session, however long the load takes', async () => {
    // As a database or role setting (or a proxy's idle timeout) would end it: the hold's session alone gets it here.
    const timingOut = new URL(server.database.url);
    timingOut.searchParams.set('options', '-c idle_session_timeout=500');
    const heldOff = async () =>
      (
        await sql<{ held: boolean }>(
          server.database,
          `select count(*) > 0 as held from pg_locks where locktype = 'advisory' and mode = 'ShareLock' and granted and database = (select oid from pg_database where datname = current_database())`,
        )
      )[0].held;
    await holdingRescoring(timingOut.toString(), async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await heldOff()).toBe(true);
    });
    expect(await heldOff()).toBe(false);
  });

  it('refuses a refreshAllHealthScores as of now meanwhile (SCORING_HELD_OFF), nothing written, and answers one as of a past day', async () => {
    await sql(server.database, 'delete from scoring_run');
    await holdingRescoring(server.database.url, async () => {
      const refused = await server.request(RefreshAllDocument, {});
      expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['SCORING_HELD_OFF']);
      expect(await sql(server.database, 'select 1 from scoring_run')).toEqual([]);
      // A backfill publishes nothing and runs no playbook: nothing live is decided on the half-loaded data.
      const past = await server.request(RefreshAllDocument, { asOf: new Date(Date.now() - 2 * DAY).toISOString() });
      expect(past.errors).toBeUndefined();
    });
    expect((await server.request(RefreshAllDocument, {})).errors).toBeUndefined();
    expect(await sql(server.database, 'select backfill, status from scoring_run order by id')).toEqual([
      { backfill: true, status: 'SUCCEEDED' },
      { backfill: false, status: 'SUCCEEDED' },
    ]);
  });
});

describe('customers claimed by an instance that died before their scores were committed', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'claims', env: { RESCORE_DEBOUNCE_MS: '100', RESCORE_SWEEP_MS: '300' } });
  });
  afterAll(() => server.stop());

  async function scoreOf(id: string): Promise<number | null | undefined> {
    return (await server.gql(CustomerScoreStateDocument, { id })).customer.healthScore;
  }

  it('are queued again once the claim is older than its lease, and scored by the instances still running', async () => {
    await sql(server.database, `insert into customer (id, name) values ('cust_claimed', 'Claimed'), ('cust_in_flight', 'In flight')`);
    // What a dead instance leaves: its round's claim (the queue rows gone), written before the lease
    // began, and the claim of a round as young as one still in flight elsewhere.
    const claim = (id: string) => JSON.stringify([{ id, requestedAt: new Date(Date.now() - 60_000).toISOString() }]);
    await sql(server.database, `insert into rescore_claim (claimed_at, customers) values (now() - $1 * interval '1 millisecond', $2)`, [
      CLAIM_LEASE_MS + 1000,
      claim('cust_claimed'),
    ]);
    const [inFlight] = await sql<{ id: string }>(server.database, `insert into rescore_claim (customers) values ($1) returning id::text`, [
      claim('cust_in_flight'),
    ]);

    const deadline = Date.now() + DEADLINE_MS;
    while (Date.now() < deadline && (await scoreOf('cust_claimed')) == null) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await scoreOf('cust_claimed')).not.toBeNull();
    // The young claim is left to the round that holds it, however many sweeps pass meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await scoreOf('cust_in_flight')).toBeNull();
    expect(await sql(server.database, `select id::text from rescore_claim`)).toEqual([inFlight]);
  });
});

describe('full runs across instances', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startTestServer({ label: 'fullrun', env: { RESCORE_DEBOUNCE_MS: '0' } });
    second = await startTestServer({ database: first.database, env: { RESCORE_DEBOUNCE_MS: '0' } });
    // In one statement: 300 calls one after another outlast a hook's minute on a loaded machine.
    await sql(first.database, `insert into customer (id, name) select 'cust_run_' || n, 'Run ' || n from generate_series(0, 299) n`);
  });
  afterAll(async () => {
    await second.stop();
    await first.stop();
  });

  it('never runs two full scoring runs at the same time', async () => {
    const [a, b] = await Promise.all([first.gql(RefreshAllDocument, {}), second.gql(RefreshAllDocument, {})]);
    expect(a.refreshAllHealthScores.status).toBe('SUCCEEDED');
    expect(b.refreshAllHealthScores.status).toBe('SUCCEEDED');
    const runs = await sql<{ started_at: Date; finished_at: Date }>(
      first.database,
      'select started_at, finished_at from scoring_run order by started_at',
    );
    expect(runs).toHaveLength(2);
    expect(runs[1].started_at.getTime()).toBeGreaterThanOrEqual(runs[0].finished_at.getTime());
  });
});

/** A database holding one customer signed up 120 days ago and active daily for `days` days, loaded by a server without full runs. */
async function loaderWithDailyCustomer(database: TestDatabase, customerId: string, days: number): Promise<TestServer> {
  const loader = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0' } });
  await loader.gql(UpsertCustomerDocument, {
    input: { id: customerId, name: customerId, signedUpAt: new Date(Date.now() - 120 * DAY).toISOString() },
  });
  const events = Array.from({ length: days }, (_, d) => ({
    customerId,
    eventType: 'login',
    occurredAt: new Date(Date.now() - d * DAY).toISOString(),
  }));
  await loader.gql(TrackEngagementBatchDocument, { events });
  return loader;
}

/** Starts a server with the hourly run on (and so the first-start backfill), waits for its start-up scoring, and counts the customer's history. */
async function historyAfterAStart(database: TestDatabase, customerId: string): Promise<string[]> {
  const started = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0', SCORING_INTERVAL_MS: '3600000' } });
  try {
    await started.app.scheduler.idle();
    const history = await started.gql(ScoreHistoryDocument, { customerId, first: 100 });
    expect(history.healthScoreHistory.totalCount).toBe(history.healthScoreHistory.edges.length);
    return history.healthScoreHistory.edges.map((edge) => String(edge.node.asOf));
  } finally {
    await started.stop();
  }
}

describe('first start', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('backfill');
  });
  afterAll(() => database.drop());

  it(
    'backfills 30 days of history once, when it finds signals and no history',
    async () => {
      await (await loaderWithDailyCustomer(database, 'cust_old', 90)).stop();
      expect(await historyAfterAStart(database, 'cust_old')).toHaveLength(31);
      expect(await historyAfterAStart(database, 'cust_old')).toHaveLength(31);
    },
    BACKFILLING_TEST_TIMEOUT_MS,
  );
});

describe('first start over signals other than engagement events', () => {
  /** Writes one customer signed up 120 days ago whose only signal is of `kind`, dated 40 days ago. */
  const signals: Record<string, (loader: TestServer, customerId: string) => Promise<unknown>> = {
    payments: (loader, customerId) =>
      loader.gql(RecordPaymentDocument, {
        input: {
          customerId,
          amountCents: 10_000,
          currency: 'USD',
          status: 'PAID',
          occurredAt: new Date(Date.now() - 40 * DAY).toISOString(),
        },
      }),
    'NPS answers': (loader, customerId) =>
      loader.gql(SubmitNpsResponseDocument, {
        input: { customerId, score: 9, respondedAt: new Date(Date.now() - 40 * DAY).toISOString() },
      }),
    'support tickets': (loader, customerId) =>
      loader.gql(RecordSupportTicketDocument, {
        input: { customerId, externalId: 'tk_1', subject: 'Export', openedAt: new Date(Date.now() - 40 * DAY).toISOString() },
      }),
  };

  it.each(Object.keys(signals))(
    'backfills 30 days of history from %s alone',
    async (kind) => {
      const database = await createTestDatabase('backfill_signals');
      try {
        const loader = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0' } });
        await loader.gql(UpsertCustomerDocument, {
          input: { id: 'cust_signals', name: 'Signals', signedUpAt: new Date(Date.now() - 120 * DAY).toISOString() },
        });
        await signals[kind](loader, 'cust_signals');
        await loader.stop();
        expect(await sql(database, 'select 1 from engagement_event')).toEqual([]);
        expect(await historyAfterAStart(database, 'cust_signals')).toHaveLength(BACKFILL_DAYS + 1);
      } finally {
        await database.drop();
      }
    },
    BACKFILLING_TEST_TIMEOUT_MS,
  );
});

describe('a first start cut short', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('backfill_resumed');
  });
  afterAll(() => database.drop());

  it(
    'is resumed by the next start: the days not yet scored, then now, each day once',
    async () => {
      const loader = await loaderWithDailyCustomer(database, 'cust_cut', 90);
      // What a first start stopped after its twelfth day leaves: the twelve oldest days, no run as of now.
      const db = loader.app.orm.em.fork() as Db;
      for (const asOf of endsOfPastDays(BACKFILL_DAYS, new Date()).slice(0, 12)) {
        expect(await refreshAllHealthScores(loader.app.services, db, asOf, true, { firstStart: true })).toMatchObject({
          status: 'SUCCEEDED',
        });
      }
      await loader.stop();
      const resumed = await historyAfterAStart(database, 'cust_cut');
      expect(resumed).toHaveLength(31);
      expect(new Set(resumed.map((asOf) => asOf.slice(0, 10))).size).toBe(31);
      expect(await historyAfterAStart(database, 'cust_cut')).toHaveLength(31);
    },
    BACKFILLING_TEST_TIMEOUT_MS,
  );
});

describe('history written by other runs than a first start', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('backfill_not_first');
  });
  afterAll(() => database.drop());

  it('is left as it is: a start backfills only a first start, or one cut short', async () => {
    const loader = await loaderWithDailyCustomer(database, 'cust_kept', 60);
    // Scored as of a past day only (an import's backfill, a script), never as of now by a full run.
    await loader.gql(RefreshAllDocument, { asOf: new Date(Date.now() - 25 * DAY).toISOString() });
    await loader.stop();
    expect(await historyAfterAStart(database, 'cust_kept')).toHaveLength(1);
  });
});

describe('a start beside a bulk load (`npm start` while `npm run demo:seed` loads)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('start_beside_load');
  });
  afterAll(() => database.drop());

  const runs = async () => (await sql<{ n: number }>(database, 'select count(*)::int as n from scoring_run'))[0].n;

  it(
    'backfills nothing from half of the data: the first start waits for the load, then backfills what it loaded',
    async () => {
      await (await loaderWithDailyCustomer(database, 'cust_loading', 90)).stop();
      let started: TestServer | undefined;
      try {
        await holdingRescoring(database.url, async () => {
          started = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0', SCORING_INTERVAL_MS: '300' } });
          // Several periodic turns pass while the load goes on: no run at all.
          await new Promise((resolve) => setTimeout(resolve, 1500));
          expect(await runs()).toBe(0);
          // The load's second half arrives after the service started.
          await started.gql(UpsertCustomerDocument, {
            input: { id: 'cust_loaded_late', name: 'Loaded late', signedUpAt: new Date(Date.now() - 120 * DAY).toISOString() },
          });
          const events = Array.from({ length: 90 }, (_, d) => ({
            customerId: 'cust_loaded_late',
            eventType: 'login',
            occurredAt: new Date(Date.now() - d * DAY).toISOString(),
          }));
          await started.gql(TrackEngagementBatchDocument, { events });
          expect(await runs()).toBe(0);
        });
        // The month of history covers what the load brought after the start too: each day's point,
        // backfilled. Read from the points rather than after the scheduler is idle: a periodic run queued
        // every 300 ms keeps it busy for good once the runs take that long.
        const backfilled = async (customerId: string) =>
          (
            await sql<{ n: number }>(database, 'select count(*)::int as n from health_score where customer_id = $1 and backfill', [
              customerId,
            ])
          )[0].n;
        const deadline = Date.now() + BACKFILLING_TEST_TIMEOUT_MS / 2;
        while (
          Date.now() < deadline &&
          ((await backfilled('cust_loading')) < BACKFILL_DAYS || (await backfilled('cust_loaded_late')) < BACKFILL_DAYS)
        )
          await new Promise((resolve) => setTimeout(resolve, 200));
        for (const customerId of ['cust_loading', 'cust_loaded_late']) {
          expect({ customerId, points: await backfilled(customerId) }).toEqual({ customerId, points: BACKFILL_DAYS });
        }
      } finally {
        await started?.stop();
      }
    },
    BACKFILLING_TEST_TIMEOUT_MS,
  );

  it('runs the full run of a model activated during a load once the load has ended, under that model', async () => {
    let started: TestServer | undefined;
    try {
      started = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0', SCORING_INTERVAL_MS: '3600000' } });
      // What its start queued is done (a run the last test's stop cut short is run again).
      await started.app.scheduler.recovered();
      await started.app.scheduler.idle();
      const liveRunsBefore = (await sql<{ n: number }>(database, 'select count(*)::int as n from scoring_run where not backfill'))[0].n;
      let version = 0;
      await holdingRescoring(database.url, async () => {
        const activated = await started!.gql<{ updateScoringModel: { version: number } }, Record<string, never>>(
          'mutation { updateScoringModel(input: { tierPreset: "three_tier" }) { version } }',
          {},
        );
        version = activated.updateScoringModel.version;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const liveRuns = (await sql<{ n: number }>(database, 'select count(*)::int as n from scoring_run where not backfill'))[0].n;
        expect(liveRuns).toBe(liveRunsBefore);
      });
      await started.app.scheduler.idle();
      const [latest] = await sql<{ model_version: number }>(
        database,
        `select model_version from health_score where customer_id = 'cust_loading' order by as_of desc limit 1`,
      );
      expect(latest.model_version).toBe(version);
    } finally {
      await started?.stop();
    }
  });

  it('runs no periodic full run while a load goes on, and runs them again once it has ended', async () => {
    const liveRuns = async () => (await sql<{ n: number }>(database, 'select count(*)::int as n from scoring_run where not backfill'))[0].n;
    const before = await liveRuns();
    let started: TestServer | undefined;
    try {
      await holdingRescoring(database.url, async () => {
        started = await startTestServer({ database, env: { RESCORE_DEBOUNCE_MS: '0', SCORING_INTERVAL_MS: '300' } });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(await liveRuns()).toBe(before);
      });
      const deadline = Date.now() + DEADLINE_MS;
      while (Date.now() < deadline && (await liveRuns()) === before) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await liveRuns()).toBeGreaterThan(before);
    } finally {
      await started?.stop();
    }
  });
});

describe('a failed rescoring round', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Continuous rescoring off: the test claims the queue itself.
    server = await startTestServer({ label: 'requeue', env: { RESCORE_DEBOUNCE_MS: '0' } });
  });
  afterAll(() => server.stop());

  it('puts the customers it claimed back in the queue, with their original request time', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_requeue', name: 'Requeue' } });
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_requeue', eventType: 'login' } });
    const [queued] = await sql<{ requested_at: Date }>(
      server.database,
      "select requested_at from rescore_request where customer_id = 'cust_requeue'",
    );
    expect(queued).toBeDefined();
    // A real database failure in the middle of the batch: writing this customer's score is refused.
    await sql(
      server.database,
      `create function refuse_requeue_score() returns trigger language plpgsql as $$
       begin if new.customer_id = 'cust_requeue' then raise exception 'score refused'; end if; return new; end $$;
       create trigger refuse_requeue_score before insert on health_score for each row execute function refuse_requeue_score();`,
    );
    const db = () => server.app.orm.em.fork() as unknown as Db;
    try {
      await expect(rescoreRequested(server.app.services, db())).rejects.toThrow('score refused');
      const requeued = await sql<{ requested_at: Date }>(
        server.database,
        "select requested_at from rescore_request where customer_id = 'cust_requeue'",
      );
      expect(requeued).toEqual([{ requested_at: queued.requested_at }]);
      expect(await sql(server.database, 'select 1 from rescore_claim')).toEqual([]);
      const scores = await sql<{ n: number }>(
        server.database,
        "select count(*)::int as n from health_score where customer_id = 'cust_requeue'",
      );
      expect(scores[0].n).toBe(0);
    } finally {
      await sql(server.database, 'drop trigger refuse_requeue_score on health_score; drop function refuse_requeue_score();');
    }
    // The next round scores it and empties the queue.
    expect(await rescoreRequested(server.app.services, db())).toBeGreaterThanOrEqual(1);
    expect(await sql(server.database, "select 1 from rescore_request where customer_id = 'cust_requeue'")).toEqual([]);
    expect(await sql(server.database, 'select 1 from rescore_claim')).toEqual([]);
    expect((await server.gql(ScoreHistoryDocument, { customerId: 'cust_requeue' })).healthScoreHistory.totalCount).toBe(1);
  });
});

describe('a rescoring round when the service stops', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Continuous rescoring off: the test runs the round itself.
    server = await startTestServer({ label: 'round_stop', env: { RESCORE_DEBOUNCE_MS: '0' } });
  });
  afterAll(() => server.stop());

  it('finishes the batch it is scoring, claims no further one, and leaves the rest queued with no claim behind', async () => {
    const ids = ['cust_stop_1', 'cust_stop_2', 'cust_stop_3', 'cust_stop_4', 'cust_stop_5'];
    await sql(server.database, `insert into customer (id, name) select id, id from unnest($1::text[]) as id`, [ids]);
    await sql(server.database, `insert into rescore_request (customer_id) select unnest($1::text[]) order by 1`, [ids]);
    const db = server.app.orm.em.fork() as unknown as Db;
    // The service begins to stop while the first batch is being scored.
    let asked = 0;
    const scored = await rescoreQueued(server.app.services, db, { batchSize: 2, stopped: () => asked++ > 0 });

    expect(scored).toBe(2);
    const [{ n: withScores }] = await sql<{ n: number }>(
      server.database,
      `select count(distinct customer_id)::int as n from health_score where customer_id like 'cust_stop_%'`,
    );
    expect(withScores).toBe(2);
    expect(await sql(server.database, `select count(*)::int as n from rescore_request where customer_id like 'cust_stop_%'`)).toEqual([
      { n: 3 },
    ]);
    expect(await sql(server.database, 'select 1 from rescore_claim')).toEqual([]);
    // Stopped before its first batch, it claims nothing.
    expect(await rescoreQueued(server.app.services, db, { batchSize: 2, stopped: () => true })).toBe(0);
    expect(await sql(server.database, `select count(*)::int as n from rescore_request where customer_id like 'cust_stop_%'`)).toEqual([
      { n: 3 },
    ]);
  });

  it("claims as background work: the drain's end, which ends the requests still at work, leaves the claim be", async () => {
    await sql(server.database, `insert into customer (id, name) values ('cust_claiming', 'Claiming')`);
    await sql(server.database, `insert into rescore_request (customer_id) values ('cust_claiming')`);
    const claimId = await (server.app.orm.em.fork() as unknown as Db).transactional(async (tx) => {
      const claimed = await claimQueuedCustomers(tx, { queuedBy: new Date() }, 10);
      expect(claimed.customerIds).toContain('cust_claiming');
      // Its transaction still open, as a request's held by a lock would be: not ended.
      expect(await endBusySessions(server.database.url, sessionNameOf(server.app.orm) as string)).toBe(0);
      return claimed.claimId as string;
    });
    await putBackInQueue(server.app.orm.em.fork() as unknown as Db, claimId);
    expect(await sql(server.database, `select 1 from rescore_request where customer_id = 'cust_claiming'`)).toHaveLength(1);
    expect(await sql(server.database, 'select 1 from rescore_claim')).toEqual([]);
  });
});
