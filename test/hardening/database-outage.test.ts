// A real database outage: the server's connections are terminated and its database refuses new
// ones (ALLOW_CONNECTIONS false) until restored. Meanwhile every request is answered
// SERVICE_UNAVAILABLE with HTTP 503 and Retry-After, /readyz fails, and the service recovers on
// its own once the database is back.
import { Writable } from 'node:stream';
import { Client } from 'pg';
import pino from 'pino';
import { ADMIN_URL } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { expectNoInternals, post } from './support';

let server: TestServer;
/** The server's log lines (warn and above). */
const logLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line !== ''),
    );
    done();
  },
});

async function admin(statement: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Closes the database to every client, the server's open connections included. */
async function takeDatabaseDown(): Promise<void> {
  const name = server.database.name;
  await admin(`alter database "${name}" allow_connections false`);
  await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);
}

async function bringDatabaseBack(): Promise<void> {
  await admin(`alter database "${server.database.name}" allow_connections true`);
}

const origin = () => new URL(server.url).origin;

beforeAll(async () => {
  server = await startTestServer({ label: 'db_outage', env: { RESCORE_DEBOUNCE_MS: '0' }, logger: pino({ level: 'warn' }, logStream) });
  const created = await post(server.url, { query: 'mutation { upsertCustomer(input: { id: "cust_before", name: "Before" }) { id } }' });
  expect(created.body.errors).toBeUndefined();
});
afterAll(async () => {
  await bringDatabaseBack();
  await server.stop();
});

it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the database is down, and recovers when it is back', async () => {
  // The pool holds idle connections for the outage to cut.
  await Promise.all([1, 2, 3].map(() => post(server.url, { query: '{ customers(first: 1) { totalCount } }' })));
  const printed = jest.spyOn(console, 'log');
  await takeDatabaseDown();
  try {
    for (const query of [
      '{ customers(first: 5) { totalCount edges { node { id } } } }',
      '{ customer(id: "cust_before") { name } }',
      'mutation { upsertCustomer(input: { id: "cust_during", name: "During" }) { id } }',
      'mutation { trackEngagement(input: { customerId: "cust_before", eventType: "login" }) { id } }',
    ]) {
      const response = await post(server.url, { query });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expectNoInternals(response.text);
    }
    const ready = await fetch(`${origin()}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { database: false } });
  } finally {
    await bringDatabaseBack();
  }

  // The pool reconnects by itself: the next requests succeed, and nothing sent during the outage was stored.
  let response = await post(server.url, { query: '{ customers(first: 5) { totalCount edges { node { id } } } }' });
  for (let attempt = 0; attempt < 50 && response.status !== 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    response = await post(server.url, { query: '{ customers(first: 5) { totalCount edges { node { id } } } }' });
  }
  expect(response.status).toBe(200);
  expect(response.body.data).toEqual({ customers: { totalCount: 1, edges: [{ node: { id: 'cust_before' } }] } });
  expect((await fetch(`${origin()}/readyz`)).status).toBe(200);

  // The connections found dead are said in the JSON log, not printed as bare lines by the driver.
  expect(printed.mock.calls.map((call) => String(call[0]))).not.toContainEqual(expect.stringContaining('Connection Error'));
  printed.mockRestore();
  expect(logLines.map((line) => JSON.parse(line) as { msg?: string })).toContainEqual(
    expect.objectContaining({ msg: expect.stringContaining('Connection Error') }),
  );
});

it('answers SERVICE_UNAVAILABLE, not a masked internal error, to a request whose connection dies under it', async () => {
  // A statement that is still running when its backend is terminated.
  const pending = post(server.url, { query: 'mutation { refreshAllHealthScores { id } }' });
  const slow = post(server.url, { query: '{ npsSummary { responses } }' });
  await takeDatabaseDown();
  try {
    for (const response of await Promise.all([pending, slow])) {
      // Either finished before the outage or was cut by it; never an internal error.
      expect([200, 503]).toContain(response.status);
      if (response.status === 503) expect(response.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expectNoInternals(response.text);
    }
  } finally {
    await bringDatabaseBack();
  }
});

describe('a field cut by the loss of its connection, beside fields that answered', () => {
  const GRAPHQL_RESPONSE_JSON = { accept: 'application/graphql-response+json' };
  const LOCKED = 'mutation { locked: upsertCustomer(input: { id: "cust_before", name: "Locked" }) { id } }';

  /**
   * Sends `query` while another session holds cust_before's row, and ends the server's session once
   * it waits for that row: the field writing it fails as in an outage (SERVICE_UNAVAILABLE), the
   * fields before it have answered and committed.
   */
  async function cutWhileWaitingForTheRow(query: string, headers: Record<string, string> = {}) {
    const holder = new Client({ connectionString: server.database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query("select 1 from customer where id = 'cust_before' for update");
      const answer = post(server.url, { query }, headers);
      let ended = 0;
      // pg_locks, not pg_stat_activity: a transaction sees the sessions as they were at its first read
      // of pg_stat_activity, and the server may open its connection after that.
      for (let attempt = 0; attempt < 300 && ended === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const { rows } = await holder.query(
          'select pg_terminate_backend(pid) from pg_locks where not granted and pg_backend_pid() = any(pg_blocking_pids(pid))',
        );
        ended = rows.length;
      }
      expect(ended).toBe(1);
      return await answer;
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
  }

  it.each([
    ['application/json', {}],
    ['application/graphql-response+json', GRAPHQL_RESPONSE_JSON],
  ])(
    'answers 200 without Retry-After to %s when an earlier mutation committed: sent again, it would be written twice',
    async (_mediaType, headers) => {
      const id = `cust_committed_${Object.keys(headers).length}`;
      const response = await cutWhileWaitingForTheRow(
        `mutation { committed: upsertCustomer(input: { id: "${id}", name: "Committed" }) { id } ${LOCKED.slice('mutation {'.length)}`,
        headers,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('retry-after')).toBeNull();
      expect(response.body.data).toEqual({ committed: { id }, locked: null });
      expect(response.body.errors).toEqual([
        expect.objectContaining({ path: ['locked'], extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 } }),
      ]);
      expectNoInternals(response.text);
      const stored = await post(server.url, { query: `{ customer(id: "${id}") { name } }` });
      expect(stored.body.data).toEqual({ customer: { name: 'Committed' } });
    },
  );

  it('answers 503 with Retry-After to an application/json client when the failed field is the only one', async () => {
    const response = await cutWhileWaitingForTheRow(LOCKED);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.body.data).toEqual({ locked: null });
    expect(response.body.errors?.[0]).toMatchObject({
      path: ['locked'],
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 },
    });
  });

  it('answers 200 to an application/graphql-response+json client when the failed field is the only one: its data is not null', async () => {
    const response = await cutWhileWaitingForTheRow(LOCKED, GRAPHQL_RESPONSE_JSON);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(response.body.data).toEqual({ locked: null });
    expect(response.body.errors?.[0]).toMatchObject({
      path: ['locked'],
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 },
    });
  });
});
