// `npm start` exactly as a user runs it (no NODE_ENV): a run a killed process left RUNNING is FAILED
// once the service is up, error responses carry no stack trace or file path, a masked error's
// request id is in the log, and SIGTERM to the npm process drains the server and leaves no node
// process behind.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { openDatabase } from '../../src/database';
import { INTERRUPTED_RUN_ERROR } from '../../src/scoring/scoring.service';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { REDIS_URL } from '../helpers/server';
import { expectNoInternals, post } from './support';

let database: TestDatabase;
let npm: ChildProcess;
let output = '';
let url: string;
let exited: Promise<number | null>;

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
  npm = spawn('npm', ['start'], { cwd: path.resolve(__dirname, '../..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  npm.stdout!.on('data', (chunk) => (output += chunk));
  npm.stderr!.on('data', (chunk) => (output += chunk));
  exited = new Promise((resolve) => npm.on('exit', (code) => resolve(code)));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 90_000);
    const poll = setInterval(() => {
      const match = /playground at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 50);
    npm.on('exit', () => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`exited before printing its URL:\n${output}`));
    });
  });
}, 120_000);
afterAll(async () => {
  if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
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
  const bad = await post(url, { query: 'mutation { upsertCustomer(input: { id: "cust\\u0000", name: "x" }) { id } }' });
  expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expectNoInternals(bad.text);
  const invalid = await post(url, { query: '{ customers { nope } }' });
  expect(invalid.status).toBe(400);
  expectNoInternals(invalid.text);

  await sql(database, 'alter table nps_response rename to nps_response_moved');
  try {
    const masked = await post(url, { query: '{ npsSummary { responses } }' });
    expect(masked.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expectNoInternals(masked.text);
    const requestId = masked.body.errors![0].extensions!.requestId as string;
    expect(requestId).toBeTruthy();
    // The log line reaches the pipe a moment after the response.
    for (let i = 0; i < 40 && !output.includes(requestId); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(output).toContain(`"requestId":"${requestId}"`);
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
  const started = children(npm.pid!);
  expect(started.length).toBeGreaterThan(0);
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
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

  npm.kill('SIGTERM');
  expect(await exited).toBe(0);
  await closed;
  expect(output).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
  for (const pid of started) expect(() => process.kill(pid, 0)).toThrow();
  await client.dispose();
}, 60_000);
