// The delivery worker's log lines (graphile-worker's messages, forwarded to the service's log) are
// JSON objects a log pipeline can ingest: each key once (Elasticsearch, among others, refuses a
// document naming a field twice).
import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestServer, TestServer } from '../helpers/server';
import { sql } from '../helpers/database';
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

it("logs the worker's lost database connections as warnings, not errors: an outage is not a fault", async () => {
  await waitFor(() => lines.some((line) => line.includes('Worker connected')), 'the worker to connect');
  const from = lines.length;
  // The queue's own pool names no application: its sessions (the LISTEN one among them), as a
  // database restart or failover would end them (57P01).
  const ended = await sql<{ pid: number }>(
    server.database,
    `select pid from (select pid from pg_stat_activity
                      where datname = current_database() and application_name = '' and pid <> pg_backend_pid() offset 0) s
     where pg_terminate_backend(pid)`,
  );
  expect(ended.length).toBeGreaterThan(0);
  const noticed = await waitFor(
    () => lines.slice(from).find((line) => line.includes('"module":"delivery-worker"') && line.includes('"level":40')),
    'the lost connection to be logged',
  );
  expect(JSON.parse(noticed as string).err).toMatchObject({ code: '57P01' });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const workerErrors = lines.slice(from).filter((line) => line.includes('"module":"delivery-worker"') && line.includes('"level":50'));
  expect(workerErrors).toEqual([]);
});
