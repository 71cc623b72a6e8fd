// What one client can hold of the database. Full runs asked for through the API wait their turn in
// the process, not on sessions of their own, and past a few are refused with nothing written. A
// query's statement that runs too long is cancelled and answered STATEMENT_TIMEOUT, while a mutation
// waiting as long is not. One key's burst of counting requests leaves connections to another key, and
// so do the bursts of more keys together than the connections kept for lone statements; a statement of
// a query that waits too long for its turns is answered SERVICE_UNAVAILABLE.
// Slow statements are made by a lock a test session holds on a table: every statement reading it
// waits, on the server's connection, until the test lets go.
import net from 'node:net';
import { Client } from 'pg';
import { createKey, GraphQLSocket, post, waitUntil } from '../helpers/auth';
import { holdTableLock, sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const FULL_RUN_LOCK = 'healthgraph.full-scoring-run';

/** A session of the test's own on the server's database (not one of the server's). */
async function testSession(server: TestServer): Promise<Client> {
  const client = new Client({ connectionString: server.database.url, application_name: 'pool-limits-test' });
  await client.connect();
  return client;
}

/**
 * Holds `table` (`engagement_event` unless told) locked (ACCESS EXCLUSIVE) from a session of its own,
 * so every statement that reads or writes it waits; `release()` commits and closes that session.
 */
async function lockEngagementEvents(server: TestServer, table = 'engagement_event'): Promise<{ release(): Promise<void> }> {
  return holdTableLock(await testSession(server), table);
}

/**
 * The server's sessions on its database waiting for a lock (`advisory`, or `relation` for a table),
 * running a statement `like` the pattern given: the server's own background work (a look for a first
 * start's backfill, a rescoring) may wait for a locked table too, beside what a test counts.
 */
async function waitingForLock(server: TestServer, kind: 'advisory' | 'relation', like = '%'): Promise<number> {
  const [row] = await sql<{ count: number }>(
    server.database,
    `select count(*)::int as count from pg_stat_activity
     where datname = current_database() and application_name <> 'pool-limits-test' and wait_event_type = 'Lock' and wait_event = $1
       and query like $2`,
    [kind, like],
  );
  return row.count;
}

/** The statements of `engagementEvents` pages (their rows, then their totalCount), as the busy keys ask them. */
const EVENT_PAGES = '%from engagement_event e %';

/** Every session on the server's database but the tests' own and the one counting. */
async function serverSessions(server: TestServer): Promise<number> {
  const [row] = await sql<{ count: number }>(
    server.database,
    `select count(*)::int as count from pg_stat_activity
     where datname = current_database() and application_name <> 'pool-limits-test' and pid <> pg_backend_pid()`,
  );
  return row.count;
}

/** What `promise` resolves to, or undefined when it has not within `ms` (the test then fails on it rather than hang). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}

/** Whether `promise` has settled by now (after pending callbacks ran). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
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
        expect(answer.body.data).toEqual({ refreshAllHealthScores: null });
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

describe('a statement of a query past QUERY_STATEMENT_TIMEOUT_MS', () => {
  let server: TestServer;
  let reader: string;
  let writer: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'pool_statement_timeout', env: { QUERY_STATEMENT_TIMEOUT_MS: '300' } });
    const admin = (await createKey(server, ['admin'])).key;
    reader = (await createKey(server, ['read'], admin)).key;
    writer = (await createKey(server, ['ingest'], admin)).key;
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_slow", name: "Slow" }) { id } }', undefined, writer);
  });
  afterAll(() => server?.stop());

  it('is cancelled and answered STATEMENT_TIMEOUT, while a mutation waiting as long succeeds', async () => {
    const lock = await lockEngagementEvents(server);
    let mutation: ReturnType<typeof post<{ trackEngagement: { id: string } }>> | undefined;
    try {
      mutation = post(
        server.url,
        'mutation { trackEngagement(input: { customerId: "cust_slow", eventType: "login", userId: "u1" }) { id } }',
        undefined,
        writer,
      );
      await waitUntil(async () => (await waitingForLock(server, 'relation')) === 1, 10_000, 'the mutation waiting for the table');
      const query = await within(post(server.url, '{ engagementEvents(first: 1) { totalCount } }', undefined, reader), 10_000);
      expect(query?.status).toBe(200);
      expect(query?.body.errors).toEqual([
        expect.objectContaining({ path: ['engagementEvents'], extensions: { code: 'STATEMENT_TIMEOUT', timeoutMs: 300 } }),
      ]);
      expect(query?.body.data).toEqual({ engagementEvents: null });
      // Cancelled in the database, not only given up on: the mutation is the only statement left waiting.
      await waitUntil(async () => (await waitingForLock(server, 'relation')) === 1, 10_000, 'the cancelled statement to end');
      expect(await settled(mutation)).toBe(false);
    } finally {
      await lock.release();
    }
    const written = await mutation;
    expect(written.body.errors).toBeUndefined();
    expect(written.body.data?.trackEngagement.id).toEqual(expect.any(String));
    // The connections went back to the pool in working order.
    const after = await post(server.url, '{ engagementEvents(first: 1) { totalCount } }', undefined, reader);
    expect(after.body).toEqual({ data: { engagementEvents: { totalCount: 1 } } });
  });

  it('is cancelled the same way for a query sent over WebSocket', async () => {
    const lock = await lockEngagementEvents(server);
    const socket = await GraphQLSocket.connect(server.wsUrl, reader);
    try {
      expect(await socket.acknowledged()).toBe('ack');
      const answer = await within(socket.run('slow', '{ engagementEvents(first: 1) { totalCount } }'), 10_000);
      expect(answer?.type).toBe('next');
      expect((answer?.payload as { errors?: unknown[] }).errors).toEqual([
        expect.objectContaining({ path: ['engagementEvents'], extensions: { code: 'STATEMENT_TIMEOUT', timeoutMs: 300 } }),
      ]);
      // Cancelled in the database: nothing is left waiting for the table.
      await waitUntil(async () => (await waitingForLock(server, 'relation')) === 0, 10_000, 'the cancelled statement to end');
    } finally {
      socket.close();
      await lock.release();
    }
  });
});

describe('the statements of one key', () => {
  let server: TestServer;
  let busy: string;
  let other: string;
  beforeAll(async () => {
    server = await startTestServer({
      label: 'pool_per_key',
      // No continuous rescoring: its statements would wait for a locked table beside the key's.
      env: { DATABASE_POOL_MAX: '6', STATEMENTS_PER_KEY: '3', QUERY_STATEMENT_TIMEOUT_MS: '0', RESCORE_DEBOUNCE_MS: '0' },
    });
    const admin = (await createKey(server, ['admin'])).key;
    busy = (await createKey(server, ['read'], admin)).key;
    other = (await createKey(server, ['read'], admin)).key;
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_pool", name: "Pool" }) { id } }', undefined, admin);
  });
  afterAll(() => server?.stop());

  it("are at most STATEMENTS_PER_KEY at once over all its requests, so another key's query is answered meanwhile", async () => {
    const counts = Array.from(
      { length: 10 },
      (_, i) => `a${i}: engagementEvents(first: 1, from: "1970-01-0${1 + (i % 9)}T00:00:00Z") { totalCount }`,
    );
    const lock = await lockEngagementEvents(server);
    // Four requests of one key, ten counts each: before, four statements of each held the whole pool.
    const burst = Array.from({ length: 4 }, () => post(server.url, `{ ${counts.join(' ')} }`, undefined, busy));
    try {
      await waitUntil(async () => (await waitingForLock(server, 'relation', EVENT_PAGES)) >= 3, 10_000, "the busy key's statements");
      const answered = await within(post(server.url, '{ customers(first: 5) { edges { node { id } } } }', undefined, other), 10_000);
      expect(answered?.body).toEqual({ data: { customers: { edges: [{ node: { id: 'cust_pool' } }] } } });
      expect(await waitingForLock(server, 'relation', EVENT_PAGES)).toBe(3);
    } finally {
      await lock.release();
    }
    for (const answer of await Promise.all(burst)) {
      expect(answer.body.errors).toBeUndefined();
      expect(Object.keys(answer.body.data ?? {})).toHaveLength(10);
    }
    // Nothing is kept for a key with no statement left.
    expect(server.app.services.statementLimits.activeClients).toBe(0);
  });

  it('hold its CSV exports to the same turns, so downloading many at once leaves connections to another key', async () => {
    const exportUrl = new URL('/export/customers.csv', server.url).toString();
    const lock = await lockEngagementEvents(server, 'customer');
    // More exports than the pool has connections: before, they took every one of them.
    const downloads = Array.from({ length: 8 }, () =>
      fetch(exportUrl, { headers: { authorization: `Bearer ${busy}` } }).then((response) => response.text()),
    );
    try {
      await waitUntil(async () => (await waitingForLock(server, 'relation')) >= 3, 10_000, "the busy key's exports");
      const answered = await within(post(server.url, '{ engagementEvents(first: 1) { totalCount } }', undefined, other), 10_000);
      expect(answered?.body).toEqual({ data: { engagementEvents: { totalCount: 0 } } });
      expect(await waitingForLock(server, 'relation')).toBe(3);
    } finally {
      await lock.release();
    }
    for (const csv of await Promise.all(downloads)) expect(csv).toMatch(/^id,name,.*\r\ncust_pool,Pool,/s);
    expect(server.app.services.statementLimits.activeClients).toBe(0);
  });
});

describe('the statements of several busy keys', () => {
  let server: TestServer;
  let busy: string[];
  let other: string;
  beforeAll(async () => {
    server = await startTestServer({
      label: 'pool_busy_keys',
      env: {
        DATABASE_POOL_MAX: '6',
        STATEMENTS_PER_KEY: '3',
        // Longer than the tests hold the table locked, however slow the machine: no statement times out
        // while they count the sessions waiting (under CI's load, a count taken as timeouts handed
        // connections on to the next statements read 5 sessions for the cap's 3).
        QUERY_STATEMENT_TIMEOUT_MS: '30000',
        QUERY_STATEMENT_WAIT_TIMEOUT_MS: '500',
        RESCORE_DEBOUNCE_MS: '0',
      },
    });
    const admin = (await createKey(server, ['admin'])).key;
    // Four busy keys: more than the three connections kept for lone statements.
    busy = [];
    for (let i = 0; i < 4; i++) busy.push((await createKey(server, ['read'], admin)).key);
    other = (await createKey(server, ['read'], admin)).key;
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_pool", name: "Pool" }) { id } }', undefined, admin);
  });
  afterAll(() => server?.stop());

  it("hold STATEMENTS_PER_KEY connections between them, however many burst at once, so another key's lookups are answered at once, never STATEMENT_TIMEOUT", async () => {
    const counts = Array.from(
      { length: 10 },
      (_, i) => `a${i}: engagementEvents(first: 1, from: "1970-01-0${1 + (i % 9)}T00:00:00Z") { totalCount }`,
    );
    const lock = await lockEngagementEvents(server);
    // Four keys, four requests of ten counts each: before, three statements of each held the whole pool,
    // and with only a cap between them each key's first statement started alone and kept its connection.
    const bursts = busy.flatMap((key) => Array.from({ length: 4 }, () => post(server.url, `{ ${counts.join(' ')} }`, undefined, key)));
    const lookups: Array<{ ms: number; body: unknown }> = [];
    try {
      await waitUntil(async () => (await waitingForLock(server, 'relation', EVENT_PAGES)) >= 3, 10_000, "the busy keys' statements");
      // A poller of its own, every 100 ms for two seconds, while the busy keys' statements wait for the table.
      for (let polls = 0; polls < 20; polls++) {
        const sentAt = Date.now();
        const answer = await within(post(server.url, '{ customer(id: "cust_pool") { id name } }', undefined, other), 10_000);
        lookups.push({ ms: Date.now() - sentAt, body: answer?.body });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // However many keys are busy, they hold three between them.
      expect(await waitingForLock(server, 'relation', EVENT_PAGES)).toBe(3);
    } finally {
      await lock.release();
    }
    expect(lookups.map((lookup) => lookup.body)).toEqual(Array(20).fill({ data: { customer: { id: 'cust_pool', name: 'Pool' } } }));
    expect(Math.max(...lookups.map((lookup) => lookup.ms))).toBeLessThan(1500);
    // The busy keys' counts are answered, timed out, or refused for waiting too long, each field on its own.
    for (const answer of await Promise.all(bursts)) {
      for (const error of answer.body.errors ?? []) expect(['STATEMENT_TIMEOUT', 'SERVICE_UNAVAILABLE']).toContain(error.extensions?.code);
    }
    expect(server.app.services.statementLimits.activeClients).toBe(0);
  });

  it('answers a statement of a query that waited past QUERY_STATEMENT_WAIT_TIMEOUT_MS with SERVICE_UNAVAILABLE (503, Retry-After), unrun, not STATEMENT_TIMEOUT', async () => {
    const counts = Array.from(
      { length: 3 },
      (_, i) => `a${i}: engagementEvents(first: 1, from: "1970-01-0${1 + i}T00:00:00Z") { totalCount }`,
    );
    const lock = await lockEngagementEvents(server);
    // Three statements of the key wait for the table: as many as it may run.
    const held = post(server.url, `{ ${counts.join(' ')} }`, undefined, busy[0]);
    try {
      await waitUntil(async () => (await waitingForLock(server, 'relation', EVENT_PAGES)) === 3, 10_000, "the key's three statements");
      const refused = await within(post(server.url, '{ engagementEvents(first: 1) { totalCount } }', undefined, busy[0]), 10_000);
      expect(refused?.status).toBe(503);
      expect(refused?.headers.get('retry-after')).toBe('5');
      expect(refused?.body.data).toEqual({ engagementEvents: null });
      expect(refused?.body.errors).toEqual([
        expect.objectContaining({
          path: ['engagementEvents'],
          extensions: { code: 'SERVICE_UNAVAILABLE', waitTimeoutMs: 500, retryAfterSeconds: 5 },
        }),
      ]);
      // It never ran: only the three wait for the table.
      expect(await waitingForLock(server, 'relation', EVENT_PAGES)).toBe(3);
    } finally {
      await lock.release();
    }
    expect((await held).body).toEqual({ data: { a0: { totalCount: 0 }, a1: { totalCount: 0 }, a2: { totalCount: 0 } } });
  });
});

describe('the operations of one key in flight', () => {
  let server: TestServer;
  let busy: { key: string; id: string };
  let other: string;
  const slow = '{ engagementEvents(first: 1) { totalCount } }';
  beforeAll(async () => {
    server = await startTestServer({
      label: 'pool_in_flight',
      env: {
        OPERATIONS_PER_KEY: '3',
        OPERATIONS_WAITING_PER_KEY: '1',
        DATABASE_POOL_MAX: '6',
        STATEMENTS_PER_KEY: '3',
        QUERY_STATEMENT_TIMEOUT_MS: '0',
        RESCORE_DEBOUNCE_MS: '0',
      },
    });
    const admin = (await createKey(server, ['admin'])).key;
    busy = await createKey(server, ['read'], admin);
    other = (await createKey(server, ['read'], admin)).key;
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_pool", name: "Pool" }) { id } }', undefined, admin);
  });
  afterAll(() => server?.stop());

  it('are at most OPERATIONS_PER_KEY over HTTP and WebSocket together: one more waits its turn, one past the queue is refused 429 RATE_LIMITED, while another key is answered', async () => {
    const lock = await lockEngagementEvents(server);
    const socket = await GraphQLSocket.connect(server.wsUrl, busy.key);
    expect(await socket.acknowledged()).toBe('ack');
    const held = [post(server.url, slow, undefined, busy.key), post(server.url, slow, undefined, busy.key)];
    const heldOverSocket = socket.run('held', slow);
    let waiting: ReturnType<typeof post> | undefined;
    try {
      await waitUntil(async () => (await waitingForLock(server, 'relation')) === 3, 10_000, "the busy key's operations");
      expect(server.app.services.operationsInFlight.heldBy(busy.id)).toBe(3);
      // The next one waits for a turn (OPERATIONS_WAITING_PER_KEY: 1), the one after it is refused.
      waiting = post(server.url, '{ __typename }', undefined, busy.key);
      await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 4, 5000, 'the fourth operation waiting');
      const refused = await post(server.url, '{ __typename }', undefined, busy.key);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.errors?.[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1, maxOperationsInFlight: 3 });
      const overSocket = await socket.run('refused', '{ __typename }');
      expect(overSocket.type).toBe('error');
      expect((overSocket.payload as Array<{ extensions: unknown }>)[0].extensions).toEqual({
        code: 'RATE_LIMITED',
        retryAfterSeconds: 1,
        maxOperationsInFlight: 3,
      });
      // Another key is answered meanwhile, and so is the health probe.
      const answered = await within(post(server.url, '{ customers(first: 5) { edges { node { id } } } }', undefined, other), 10_000);
      expect(answered?.body).toEqual({ data: { customers: { edges: [{ node: { id: 'cust_pool' } }] } } });
      expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
      // Still waiting: its turn comes when one of the three is answered.
      expect(await within(waiting, 200)).toBeUndefined();
    } finally {
      await lock.release();
    }
    expect((await Promise.all(held)).map((answer) => answer.body)).toEqual(
      Array(2).fill({ data: { engagementEvents: { totalCount: 0 } } }),
    );
    expect((await waiting!).body).toEqual({ data: { __typename: 'Query' } });
    expect(await heldOverSocket).toEqual({ type: 'next', payload: { data: { engagementEvents: { totalCount: 0 } } } });
    // Each turn is given back once its answer has gone: the key is served again.
    await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 0, 5000, 'the turns given back');
    expect((await post(server.url, '{ __typename }', undefined, busy.key)).body).toEqual({ data: { __typename: 'Query' } });
    expect((await socket.run('again', '{ __typename }')).type).toBe('next');
    socket.close();
    await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 0, 5000, 'the turns given back');
  });

  it('keeps no turn of a request whose client went away before it was admitted', async () => {
    const url = new URL(server.url);
    const body = JSON.stringify({ query: '{ __typename }' });
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(Number(url.port), url.hostname, () => {
              socket.write(
                `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${busy.key}\r\n` +
                  `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
              );
              setImmediate(() => socket.destroy());
            });
            socket.on('close', () => resolve());
            socket.on('error', () => resolve());
          }),
      ),
    );
    await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 0, 5000, 'no turn kept by the requests gone');
    expect((await within(post(server.url, '{ __typename }', undefined, busy.key), 5000))?.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('keeps the turn of a request whose client went away until its statement has ended', async () => {
    const lock = await lockEngagementEvents(server);
    const gone = new AbortController();
    const dropped = fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${busy.key}` },
      body: JSON.stringify({ query: slow }),
      signal: gone.signal,
    }).catch(() => 'aborted');
    try {
      await waitUntil(async () => (await waitingForLock(server, 'relation')) === 1, 10_000, 'the statement waiting');
      gone.abort();
      expect(await dropped).toBe('aborted');
      // Its statement still waits on the server: the turn is still taken.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(server.app.services.operationsInFlight.heldBy(busy.id)).toBe(1);
    } finally {
      await lock.release();
    }
    await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 0, 5000, 'the turn given back once it ended');
  });

  it('refuses a WebSocket operation under the id of one its client completed while it still runs, and keeps no turn', async () => {
    const lock = await lockEngagementEvents(server);
    const socket = await GraphQLSocket.connect(server.wsUrl, busy.key);
    expect(await socket.acknowledged()).toBe('ack');
    try {
      socket.subscribe('x', slow);
      await waitUntil(async () => (await waitingForLock(server, 'relation')) === 1, 10_000, 'the statement waiting');
      socket.send({ id: 'x', type: 'complete' });
      const again = await socket.run('x', '{ __typename }');
      expect(again.type).toBe('error');
      expect((again.payload as Array<{ extensions: { code: string } }>)[0].extensions.code).toBe('BAD_REQUEST');
    } finally {
      await lock.release();
    }
    await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 0, 5000, 'the turn given back');
    socket.close();
  });

  it('does not count subscriptions: a key may hold more of them open than OPERATIONS_PER_KEY and still query', async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl, busy.key);
    expect(await socket.acknowledged()).toBe('ack');
    for (let i = 0; i < 5; i++) socket.subscribe(`live${i}`, 'subscription { healthTierChanged { customerId } }');
    expect(await socket.run('query', '{ __typename }')).toEqual({ type: 'next', payload: { data: { __typename: 'Query' } } });
    expect((await post(server.url, '{ __typename }', undefined, busy.key)).status).toBe(200);
    // The subscriptions stay open, none refused, and hold no turn.
    expect(socket.messages.filter((message) => message.id?.startsWith('live'))).toEqual([]);
    expect(server.app.services.operationsInFlight.heldBy(busy.id)).toBe(0);
    socket.close();
  });

  it('count its CSV exports too: one past OPERATIONS_PER_KEY waits its turn, one past the queue is refused 429 RATE_LIMITED', async () => {
    const exportUrl = new URL('/export/customers.csv', server.url).toString();
    const download = () => fetch(exportUrl, { headers: { authorization: `Bearer ${busy.key}` } });
    const lock = await lockEngagementEvents(server, 'customer');
    const held = [download(), download(), download()];
    let waiting: Promise<Response> | undefined;
    try {
      await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 3, 10_000, "the busy key's exports");
      waiting = download();
      await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 4, 5000, 'the fourth export waiting');
      const refused = await download();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { errors: Array<{ extensions: unknown }> }).errors[0].extensions).toEqual({
        code: 'RATE_LIMITED',
        retryAfterSeconds: 1,
        maxOperationsInFlight: 3,
      });
    } finally {
      await lock.release();
    }
    for (const response of [...(await Promise.all(held)), await waiting!]) {
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/^id,name,.*\r\ncust_pool,Pool,/s);
    }
    await waitUntil(() => server.app.services.operationsInFlight.heldBy(busy.id) === 0, 5000, 'the turns given back');
  });
});
