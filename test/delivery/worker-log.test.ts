// The delivery worker's log lines (graphile-worker's messages, forwarded to the service's log) are
// JSON objects a log pipeline can ingest: each key once (Elasticsearch, among others, refuses a
// document naming a field twice).
import { Writable } from 'node:stream';
import { Client } from 'pg';
import pino from 'pino';
import { startTestServer, TestServer } from '../helpers/server';
import { ADMIN_URL, sql } from '../helpers/database';
import { DELIVERY_TEST_ENV, waitFor } from './support';
import { workerLogMethod } from '../../src/delivery/delivery.worker';

const lines: string[] = [];
const stream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line !== ''),
    );
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ label: 'delivery_worker_log', env: DELIVERY_TEST_ENV, logger: pino({ level: 'debug' }, stream) });
}, 120_000);
afterAll(() => server?.stop());

it('names each field of a worker log line once', async () => {
  for (let attempt = 0; attempt < 50 && !lines.some((line) => line.includes('Worker connected')); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const workerLines = lines.filter((line) => line.includes('Worker connected'));
  expect(workerLines.length).toBeGreaterThan(0);
  for (const line of workerLines) {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.module).toBe('delivery-worker');
    expect(line.match(/"module":/g)).toHaveLength(1);
  }
});

it("carries a failed job's error message and code in its log line, not an empty object", async () => {
  // A job whose payload names no delivery: its statement fails in PostgreSQL (22P02, not a uuid).
  await sql(server.database, `select graphile_worker.add_job('deliver_outreach', '{"deliveryId":"not-a-uuid"}'::json, max_attempts => 1)`);
  const failedLine = await waitFor(() => lines.find((line) => line.includes('"msg":"Failed task')), 'the failed job to be logged');
  const failed = JSON.parse(failedLine as string) as Record<string, any>;
  expect(failed.module).toBe('delivery-worker');
  expect(failed.err).toMatchObject({ message: expect.stringContaining('invalid input syntax for type uuid'), code: '22P02' });
  expect(failed.error).toBeUndefined();
});

describe("the level of graphile-worker's messages", () => {
  it('logs its local queue released while jobs complete, at a graceful stop, as a warning, and any other error as an error', () => {
    const race = 'Releasing local queue failed: Error: Cannot background something when the queue is already released';
    expect(workerLogMethod('error', race, true)).toBe('warn');
    expect(workerLogMethod('error', 'Error occurred whilst attempting to release runner options: Errors occurred', true)).toBe('warn');
    // Not stopping: the same message is an error, as is any other while stopping.
    expect(workerLogMethod('error', race, false)).toBe('error');
    expect(workerLogMethod('error', 'Failed task 1 (deliver_outreach)', true)).toBe('error');
    // The same race reported by the stop's later steps, known by the error they carry, not their message.
    const released = new Error('Cannot background something when the queue is already released');
    const deactivating = new AggregateError([released, released], 'Errors occurred whilst deactivating queue');
    for (const message of [
      'Deactivation failed: AggregateError: Errors occurred whilst deactivating queue',
      'Error occurred during graceful shutdown: Errors occurred whilst deactivating queue',
      'Error occurred during forceful shutdown: Errors occurred whilst deactivating queue',
    ]) {
      expect(workerLogMethod('error', message, true, deactivating)).toBe('warn');
      expect(workerLogMethod('error', message, false, deactivating)).toBe('error');
    }
    // Gathered with another failure, it is an error: the other failure is not the race.
    const mixed = new AggregateError([released, new Error('boom')], 'Errors occurred whilst deactivating queue');
    expect(workerLogMethod('error', 'Deactivation failed: AggregateError: Errors occurred whilst deactivating queue', true, mixed)).toBe(
      'error',
    );
    expect(workerLogMethod('warning', 'anything', false)).toBe('warn');
    expect(workerLogMethod('info', 'Worker connected', false)).toBe('debug');
    // The database unavailable (here, the session ended by a restart) is an outage, not a fault.
    const ended = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(workerLogMethod('error', 'Error with notify listener', false, ended)).toBe('warn');
    expect(workerLogMethod('error', 'Failed task 1 (deliver_outreach)', false, new Error('boom'))).toBe('error');
  });
});

/** The delivery modules' lines from `from` on, parsed. */
function deliveryLines(from: number): Array<Record<string, any>> {
  return lines
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((line) => line.module === 'delivery' || line.module === 'delivery-worker');
}

/** Ends the delivery queue's sessions (its own pool names no application), as a database restart or failover would (57P01). */
async function endQueueSessions(): Promise<number> {
  const ended = await sql<{ pid: number }>(
    server.database,
    `select pid from (select pid from pg_stat_activity
                      where datname = current_database() and application_name = '' and pid <> pg_backend_pid() offset 0) s
     where pg_terminate_backend(pid)`,
  );
  return ended.length;
}

it("logs the worker's lost database connections as warnings, not errors: an outage is not a fault", async () => {
  await waitFor(() => lines.some((line) => line.includes('Worker connected')), 'the worker to connect');
  const from = lines.length;
  expect(await endQueueSessions()).toBeGreaterThan(0);
  const noticed = await waitFor(
    () => deliveryLines(from).find((line) => line.msg.startsWith('database connection lost')),
    'the lost connection to be logged',
  );
  expect(noticed).toMatchObject({ level: 40, code: '57P01' });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(deliveryLines(from).filter((line) => line.level >= 50)).toEqual([]);
});

it('says a database outage once, without a stack trace, and its end once', async () => {
  // Connected, and out of any outage an earlier test caused (its end logged after its start).
  await waitFor(() => {
    const outage = deliveryLines(0).filter((line) => /^database connection (lost|restored)/.test(line.msg));
    return lines.some((line) => line.includes('Worker connected')) && !outage.at(-1)?.msg.startsWith('database connection lost');
  }, 'the worker to be connected, out of any earlier outage');
  const from = lines.length;
  // Down for a while: the database takes no new connection, and the queue's sessions are ended (from
  // the admin database: a database's own session cannot close it to connections).
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`alter database "${server.database.name}" allow_connections false`);
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = ''`, [
      server.database.name,
    ]);
    // The worker polls every 50 ms (DELIVERY_TEST_ENV): dozens of failures in this time.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  } finally {
    await admin.query(`alter database "${server.database.name}" allow_connections true`);
    await admin.end();
  }
  await waitFor(
    () => deliveryLines(from).some((line) => line.msg.startsWith('database connection restored')),
    'the return of the database to be logged',
  );
  const said = deliveryLines(from).filter((line) => line.level >= 30);
  expect(said.map((line) => line.msg)).toEqual([
    'database connection lost: deliveries wait until it is back',
    'database connection restored: deliveries resume',
  ]);
  expect(JSON.stringify(said)).not.toContain('stack');
}, 30_000);
