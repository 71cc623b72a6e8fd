// `npm start` exactly as a user runs it (no NODE_ENV): a run a killed process left RUNNING is FAILED
// once the service is up, error responses carry no stack trace or file path, a masked error's
// request id is in the log, and SIGTERM to the npm process drains the server and leaves no node
// process behind.
import { execFileSync } from 'node:child_process';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { openDatabase } from '../../src/database';
import { INTERRUPTED_RUN_ERROR } from '../../src/scoring/scoring.service';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { REDIS_URL } from '../helpers/server';
import { ServiceProcess, startServiceProcess } from '../helpers/service-process';
import { expectNoInternals, post } from './support';

let database: TestDatabase;
let service: ServiceProcess;

beforeAll(async () => {
  database = await createTestDatabase('npm_start');
  // The schema as a previous run of the service left it, with a run it never finished.
  const orm = await openDatabase(database.url);
  await orm.close();
  await sql(
    database,
    "insert into scoring_run (status, as_of, started_at) values ('RUNNING', now() - interval '1 hour', now() - interval '1 hour')",
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SCORING_INTERVAL_MS: '0',
  };
  delete env.NODE_ENV;
  service = await startServiceProcess(['npm', ['start']], env, 90_000);
}, 120_000);
afterAll(async () => {
  if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
  await database.drop();
});

it('marks the run a killed process left RUNNING as FAILED, with the reason, before it reports the service up', async () => {
  const runs = await sql<{ status: string; error: string; finishedAt: Date | null }>(
    database,
    'select status, error, finished_at as "finishedAt" from scoring_run',
  );
  expect(runs).toEqual([{ status: 'FAILED', error: INTERRUPTED_RUN_ERROR, finishedAt: expect.any(Date) }]);
});

it('answers errors without stack traces or file paths, and logs a masked error under its request id', async () => {
  const bad = await post(service.url, { query: 'mutation { upsertCustomer(input: { id: "cust\\u0000", name: "x" }) { id } }' });
  expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expectNoInternals(bad.text);
  const invalid = await post(service.url, { query: '{ customers { nope } }' });
  expect(invalid.status).toBe(400);
  expectNoInternals(invalid.text);

  await sql(database, 'alter table nps_response rename to nps_response_moved');
  try {
    const masked = await post(service.url, { query: '{ npsSummary { responses } }' });
    expect(masked.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expectNoInternals(masked.text);
    const requestId = masked.body.errors![0].extensions!.requestId as string;
    expect(requestId).toBeTruthy();
    // The log line reaches the pipe a moment after the response.
    for (let i = 0; i < 40 && !service.output().includes(requestId); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(service.output()).toContain(`"requestId":"${requestId}"`);
  } finally {
    await sql(database, 'alter table nps_response_moved rename to nps_response');
  }
});

it('drains on SIGTERM sent to the npm process: sockets closed, exit 0, no node process left behind', async () => {
  const children = (pid: number): number[] => {
    let listed = '';
    try {
      listed = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString();
    } catch {
      // ps exits 1 when the process has no children.
    }
    const direct = listed.trim().split(/\s+/).filter(Boolean).map(Number);
    return direct.flatMap((child) => [child, ...children(child)]);
  };
  // Every process npm started: the server itself, and a shell if one stood between them.
  const started = children(service.child.pid!);
  expect(started.length).toBeGreaterThan(0);
  const client = createClient({
    url: service.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  });
  const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
  client.subscribe(
    { query: 'subscription { healthTierChanged { customerId } }' },
    { next: () => undefined, error: () => undefined, complete: () => undefined },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  service.child.kill('SIGTERM');
  expect(await service.exited).toBe(0);
  await closed;
  expect(service.output()).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
  for (const pid of started) expect(() => process.kill(pid, 0)).toThrow();
  await client.dispose();
}, 60_000);
