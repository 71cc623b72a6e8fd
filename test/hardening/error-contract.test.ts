// The error contract of a response: an unexpected error is masked, and carries the request id under
// which it was logged (the same id as the response's x-request-id header); an unknown operation name
// is the client's mistake (400), not the server's (500); stack traces stay out of responses unless
// asked for.
import { Writable } from 'node:stream';
import pino from 'pino';
import { GraphQLError } from 'graphql';
import { RunningApp, startApp } from '../../src/app';
import { readConfig } from '../../src/infra/config';
import { formatSubscriptionResult, graphQLErrorFormatter, InvalidInputError, LOGGED_MESSAGE_CHARS } from '../../src/infra/errors';
import { createLogger } from '../../src/infra/logger';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { expectNoInternals, post } from './support';

let database: TestDatabase;
let app: RunningApp;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  database = await createTestDatabase('error_contract');
  // The server's own log, kept in memory: the test reads what an operator would.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SCORING_INTERVAL_MS: '0', RESCORE_DEBOUNCE_MS: '0', DATABASE_POOL_MAX: '3' });
  app = await startApp({ ...config, databaseUrl: database.url }, pino({ level: 'info', base: { service: 'healthgraph' } }, sink));
});
afterAll(async () => {
  await app.stop();
  await database.drop();
});

it('masks an unexpected error and gives it the request id it is logged under', async () => {
  // A real fault under the running server: the table a query reads is gone.
  await sql(database, 'alter table outreach_action rename to outreach_action_moved');
  try {
    const response = await post(app.url, { query: '{ outreachLog(first: 5) { totalCount edges { node { id } } } }' });
    expect(response.status).toBe(200);
    const [error] = response.body.errors!;
    expect(error).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const requestId = error.extensions!.requestId as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(response.text).not.toMatch(/outreach_action/);
    expectNoInternals(response.text);
    const logged = logLines.find((line) => line.requestId === requestId);
    expect(logged).toMatchObject({ level: 50, msg: 'unexpected error' });
    expect(JSON.stringify(logged)).toMatch(/outreach_action/);
  } finally {
    await sql(database, 'alter table outreach_action_moved rename to outreach_action');
  }
});

it('logs an unexpected database error with its SQLSTATE, the start of its statement and its reason, not the whole statement', async () => {
  await sql(database, 'alter table outreach_action rename to outreach_action_moved');
  try {
    const response = await post(app.url, { query: '{ outreachLog(first: 5) { totalCount edges { node { id } } } }' });
    const requestId = response.body.errors![0].extensions!.requestId as string;
    const logged = logLines.find((line) => line.requestId === requestId) as { err: { message: string; code: string; stack: string } };
    expect(logged.err.code).toBe('42P01');
    expect(logged.err.message).toMatch(/^ ?select /);
    expect(logged.err.message).toMatch(/ … relation "outreach_action" does not exist$/);
    expect(logged.err.message.length).toBeLessThanOrEqual(LOGGED_MESSAGE_CHARS + 400);
    // The statement's end (its ORDER BY, LIMIT) is not logged, in the message or in the stack.
    expect(JSON.stringify(logged)).not.toMatch(/limit 6/);
    expect(logged.err.stack).toMatch(/^ ?select [^]*\n {4}at /);
  } finally {
    await sql(database, 'alter table outreach_action_moved rename to outreach_action');
  }
});

it('gives every response a request id, a different one each time', async () => {
  const first = await post(app.url, { query: '{ customers(first: 1) { totalCount } }' });
  const second = await post(app.url, { query: '{ customers(first: 1) { totalCount } }' });
  expect(first.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
  // Answers that are not GraphQL's too: a body that is not JSON (with a code), an unknown path, the probes.
  const base = new URL(app.url);
  const notJson = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' });
  expect(notJson.status).toBe(400);
  expect(await notJson.json()).toEqual({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
  // Bytes that are not UTF-8 (Latin-1 "é") are refused, not stored as U+FFFD.
  const latin1 = Buffer.concat([
    Buffer.from('{"query":"mutation { upsertCustomer(input: { id: \\"cust_latin1\\", name: \\"Caf'),
    Buffer.from([0xe9]),
    Buffer.from('\\" }) { id } }"}'),
  ]);
  const notUtf8 = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: latin1 });
  expect(notUtf8.status).toBe(400);
  expect(await notUtf8.json()).toEqual({ errors: [{ message: 'request body is not valid UTF-8', extensions: { code: 'BAD_REQUEST' } }] });
  const stored = await post(app.url, { query: '{ customers(search: "cust_latin1") { totalCount } }' });
  expect(stored.body.data).toEqual({ customers: { totalCount: 0 } });
  for (const response of [notJson, notUtf8, await fetch(new URL('/nowhere', base)), await fetch(new URL('/healthz', base))]) {
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  }
});

it('answers an unknown operation name with 400, not 500, and runs nothing', async () => {
  const response = await post(app.url, {
    query:
      'query Known { customers(first: 1) { totalCount } } mutation Other { upsertCustomer(input: { id: "cust_op", name: "Op" }) { id } }',
    operationName: 'Unknown',
  });
  expect(response.status).toBe(400);
  expect(response.body.errors?.[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
  const single = await post(app.url, {
    query: 'mutation Only { upsertCustomer(input: { id: "cust_op", name: "Op" }) { id } }',
    operationName: 'Other',
  });
  expect(single.status).toBe(400);
  const unnamed = await post(app.url, { query: 'query A { customers { totalCount } } query B { customers { totalCount } }' });
  expect(unnamed.status).toBe(400);
  expect(await sql(database, "select id from customer where id = 'cust_op'")).toEqual([]);
});

it('keeps stack traces out of error responses unless asked for (NODE_ENV=development)', () => {
  const logger = createLogger('silent');
  const formatted = {
    message: 'bad',
    extensions: { code: 'BAD_USER_INPUT', stacktrace: ['InvalidInputError: bad', '    at x (/work/main/src/a.ts:1:1)'] },
  };
  const error = new GraphQLError('bad', { originalError: new InvalidInputError('bad') });
  expect(graphQLErrorFormatter({ logger }).call(null, formatted, error).extensions).not.toHaveProperty('stacktrace');
  expect(graphQLErrorFormatter({ logger, exposeStackTraces: false }).call(null, formatted, error).extensions).not.toHaveProperty(
    'stacktrace',
  );
  expect(graphQLErrorFormatter({ logger, exposeStackTraces: true }).call(null, formatted, error).extensions).toHaveProperty('stacktrace');
});

it('formats the errors of a subscription result as over HTTP: codes kept, the unexpected masked with a request id', () => {
  const format = graphQLErrorFormatter({ logger: createLogger('silent') });
  const leaked = new GraphQLError('relation "customer" does not exist at /work/main/src/x.ts', {
    originalError: new Error('relation "customer" does not exist'),
  });
  const refused = new GraphQLError('bad', { originalError: new InvalidInputError('customerId is too long') });
  const result = formatSubscriptionResult({ errors: [leaked, refused] }, format)!;
  expect(result.errors[0]).toMatchObject({
    message: 'Internal server error',
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) },
  });
  expect(JSON.stringify(result.errors[0])).not.toContain('/work/main');
  expect(result.errors[1]).toMatchObject({ message: 'customerId is too long', extensions: { code: 'BAD_USER_INPUT' } });
  expect(formatSubscriptionResult({}, format)).toBeUndefined();
});
