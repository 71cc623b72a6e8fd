// `npm start` as a user runs it: migrations on start, the playground URL printed, and a graceful
// shutdown on SIGTERM that closes open WebSocket subscriptions and exits 0.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Client } from 'pg';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { REDIS_URL } from '../helpers/server';
import { MAIN_COMMAND, PROJECT_ROOT, startServiceProcess } from '../helpers/service-process';
import { DRAIN_GRACE_MS } from '../../src/infra/shutdown-drain';
import { IMPORT_BATCH_SIZE } from '../../src/ingest/event-import';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('shutdown');
});
afterAll(() => database.drop());

/** Runs `npm start`'s entry point as a user would (NODE_ENV=production) and waits for its URL. */
async function startMain(
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<number | null>; exited: Promise<number | null>; output(): string }> {
  const { child, url, output, exited } = await startServiceProcess(
    MAIN_COMMAND,
    { ...process.env, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SCORING_INTERVAL_MS: '0', ...env },
    60_000,
  );
  // A server that ends before the test stops it says why in the test's output.
  let stopping = false;
  child.on('exit', (code, signal) => stopping || console.error(`src/main.ts ended unasked (${code ?? signal}):\n${output()}`));
  return {
    url,
    exited,
    output,
    stop: () => {
      stopping = true;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Runs a command to its end: its exit code and what it printed. Not spawnSync: a blocked event loop
 * would keep fetch's pooled keep-alive connection to a server past the server's keep-alive timeout,
 * and the next request on it would meet a connection the server had closed.
 */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env } });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `npm start`'s entry point expecting it to refuse the start: its exit code and what it printed. */
function startRefused(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SCORING_INTERVAL_MS: '0',
    ...env,
  });
}

/** Renames `cust_quick`, as `rename` below does: it waits for the same row lock. */
const QUICK_READ = JSON.stringify({ query: 'mutation { upsertCustomer(input: { id: "cust_quick", name: "After" }) { name } }' });

/** A raw TCP connection to the server, to send requests as a keep-alive client would; `received` is all it got once closed. */
function connectRaw(url: string): { write(text: string): void; received: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  return {
    write: (text) => socket.write(text),
    received: new Promise((resolve, reject) => {
      let received = '';
      socket.on('data', (chunk) => (received += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
    }),
  };
}

async function graphql(url: string, query: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return response.json();
}

it('starts, prints the playground URL, and drains HTTP and WebSockets on SIGTERM', async () => {
  const { url, stop } = await startMain({ DATABASE_URL: database.url, REDIS_URL });
  expect(url).toMatch(/\/graphql$/);

  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  });
  const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
  const completed = new Promise<string>((resolve) => {
    client.subscribe(
      { query: 'subscription { healthTierChanged { id } }' },
      { next: () => undefined, error: () => resolve('error'), complete: () => resolve('complete') },
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 300));

  expect(await stop()).toBe(0);
  await closed;
  expect(['complete', 'error']).toContain(await completed);
  await client.dispose();
}, 90_000);

it('refuses a second start on the port of a running one with one line and exit code 2, leaving the first serving', async () => {
  const first = await startMain({ DATABASE_URL: database.url, REDIS_URL: '' });
  try {
    const port = new URL(first.url).port;
    const second = await startRefused({ DATABASE_URL: database.url, REDIS_URL: '', PORT: port });
    expect(second.status).toBe(2);
    expect(second.stderr.trim().split('\n')).toEqual([
      `Cannot listen on 127.0.0.1:${port}: the port is in use (another healthgraph already running?): stop it, or set PORT`,
    ]);
    expect(await graphql(first.url, '{ healthSummary { totalCustomers } }')).toMatchObject({ data: { healthSummary: {} } });
  } finally {
    expect(await first.stop()).toBe(0);
  }
}, 90_000);

it('on SIGTERM, answers the requests in flight: one that finishes within the drain commits and answers, a later one is rolled back and answered 503', async () => {
  const { url, stop } = await startMain({ DATABASE_URL: database.url, REDIS_URL });
  for (const id of ['cust_quick', 'cust_stuck'])
    await graphql(url, `mutation { upsertCustomer(input: { id: "${id}", name: "Before" }) { id } }`);
  // Each write waits for a row lock another session holds: one released after a second, one only after the drain.
  const holders = await Promise.all(
    ['cust_quick', 'cust_stuck'].map(async (id) => {
      const holder = new Client({ connectionString: database.url });
      // Should the test fail, dropping the database ends this session: not an unhandled error.
      holder.on('error', () => undefined);
      await holder.connect();
      await holder.query('begin');
      await holder.query('select 1 from customer where id = $1 for update', [id]);
      return holder;
    }),
  );
  const rename = (id: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { upsertCustomer(input: { id: "${id}", name: "After" }) { name } }` }),
    }).then(async (response) => ({
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: await response.json(),
    }));
  const quick = rename('cust_quick');
  const stuck = rename('cust_stuck');
  // Two keep-alive connections, each with a request in flight.
  const kept = [connectRaw(url), connectRaw(url)];
  for (const connection of kept)
    connection.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(QUICK_READ)}\r\n\r\n${QUICK_READ}`,
    );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const exited = stop();
  // Requests sent on them after the server began to stop (pipelined behind the ones in flight).
  await new Promise((resolve) => setTimeout(resolve, 200));
  kept[0].write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  kept[1].write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  setTimeout(() => void holders[0].query('commit'), 1000);

  expect(await quick).toMatchObject({ status: 200, body: { data: { upsertCustomer: { name: 'After' } } } });
  // The request in flight on it is answered; the one sent after, read once the server is stopping, is
  // refused with 503 and Connection: close rather than started.
  const answers = await kept[0].received;
  expect(answers).toMatch(/^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 503 /);
  expect(answers.slice(answers.lastIndexOf('HTTP/1.1 503'))).toMatch(/connection: close[\s\S]*retry-after: 5[\s\S]*SERVICE_UNAVAILABLE/i);
  // Liveness still holds while it drains: only readiness is withdrawn.
  expect(await kept[1].received).toMatch(/^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 200 [\s\S]*"status":"ok"/);
  expect(await stuck).toMatchObject({ status: 503, retryAfter: '5', body: { errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] } });
  await holders[1].query('commit');
  for (const holder of holders) await holder.end();
  expect(await exited).toBe(0);
  const names = await sql<{ id: string; name: string }>(database, "select id, name from customer where id like 'cust_%' order by id");
  expect(names).toEqual([
    { id: 'cust_quick', name: 'After' },
    { id: 'cust_stuck', name: 'Before' },
  ]);
}, 90_000);

it('on SIGTERM during a bulk import still uploading, answers 503 with where to resume within the drain, and exits 0', async () => {
  const { url, stop, output } = await startMain({ DATABASE_URL: database.url, REDIS_URL: '' });
  await graphql(url, 'mutation { upsertCustomer(input: { id: "cust_upload", name: "Upload" }) { id } }');
  // Every merge of the import waits, as on a loaded database, for a lock another session holds on
  // its customer's queue row (a merge queues the customers it stores events for): none can commit.
  await sql(database, `insert into rescore_request (customer_id) values ('cust_upload') on conflict do nothing`);
  const holder = new Client({ connectionString: database.url });
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('begin');
  await holder.query(`select 1 from rescore_request where customer_id = 'cust_upload' for update`);
  const request = http.request(url.replace(/\/graphql$/, '/ingest/events'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
  });
  try {
    let answered = false;
    const answer = new Promise<{ status: number; retryAfter: unknown; body: any; at: number }>((resolve, reject) => {
      request.on('response', (response) => {
        answered = true;
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
            body: JSON.parse(text),
            at: Date.now(),
          }),
        );
      });
      // A reset before the answer (the socket closed with the upload unread) fails the test.
      request.on('error', (error) => answered || reject(error));
    });
    // Lines as fast as the server takes them (half a batch before the signal) until it answers.
    let sent = 0;
    let sendUpTo = IMPORT_BATCH_SIZE / 2;
    const line = (i: number) => `${JSON.stringify({ customerId: 'cust_upload', eventType: 'login', idempotencyKey: `upload-${i}` })}\n`;
    const pump = (): void => {
      while (!answered && sent < sendUpTo) {
        const chunk = Array.from({ length: 1000 }, (_, i) => line(sent + i)).join('');
        sent += 1000;
        // On at the next turn of the event loop, not within the write's callback: a server taking
        // lines as fast as they come would otherwise keep this loop from ever reading its answer.
        if (!request.write(chunk)) return void request.once('drain', () => setImmediate(pump));
      }
    };
    pump();
    // Then a line every 100 ms up to the signal: still uploading (a client silent for
    // MAX_BATCH_WAIT_MS would have its batch committed, and the merge would wait for the lock).
    const trickle = setInterval(() => answered || request.write(line(sent++)), 100);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const signalledAt = Date.now();
    const exited = stop();
    clearInterval(trickle);
    // Still uploading after the signal, yet never a whole batch in all: a loaded server may read on for
    // a moment before it sees the signal, and a batch it had completed would rightly be merged (held
    // by the lock until the end of the drain) rather than dropped.
    sendUpTo = IMPORT_BATCH_SIZE - 1000;
    pump();
    const { status, retryAfter, body, at } = await answer;
    request.destroy();
    expect([status, retryAfter]).toEqual([503, '5']);
    // At once: the batch it was reading is rolled back rather than merged (which would wait for the lock).
    expect(at - signalledAt).toBeLessThan(DRAIN_GRACE_MS / 2);
    expect(body).toMatchObject({ stoppedAfterLine: 0, accepted: 0 });
    expect(await exited).toBe(0);
    // Nothing half-written.
    expect(await sql(database, `select count(*)::int as n from engagement_event where customer_id = 'cust_upload'`)).toEqual([{ n: 0 }]);
    expect(output()).not.toMatch(/"level":50|shutdown timed out/);
  } finally {
    request.destroy();
    await holder.query('rollback').catch(() => undefined);
    await holder.end();
  }
}, 120_000);

it('starts an embedded PostgreSQL without DATABASE_URL and keeps its data across restarts', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'healthgraph-embedded-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the folder.
  chmodSync(dataDir, 0o755);
  // Below the ephemeral range (32768 and up on Linux): a port there can be held at any moment as the
  // local end of some process's outgoing connection, and PostgreSQL then cannot listen on it.
  const env = { DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(20000 + (process.pid % 10000)) };
  try {
    const first = await startMain(env);
    expect(await graphql(first.url, 'mutation { upsertCustomer(input: { id: "cust_kept", name: "Kept" }) { id } }')).toEqual({
      data: { upsertCustomer: { id: 'cust_kept' } },
    });
    // A second `npm start` on the same data directory says so in one line, naming all it must change
    // (its PORT too: otherwise it would set up a new cluster only to find the port taken), and the
    // first keeps its database.
    const refused = await startRefused({ ...env, PORT: '0' });
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Embedded PostgreSQL: .* is in use by another PostgreSQL \(PID \d+\), most likely the one of a healthgraph already running: .*DATA_DIR, EMBEDDED_PG_PORT and PORT/,
      ),
    ]);
    expect(await graphql(first.url, '{ customer(id: "cust_kept") { id } }')).toEqual({ data: { customer: { id: 'cust_kept' } } });
    // The scripts use the running server's embedded database instead of failing on its data directory.
    const seeded = await run('npm', ['run', '-s', 'demo:seed', '--', '--customers', '4', '--days', '30'], env);
    expect([seeded.status, seeded.stdout]).toEqual([0, expect.stringContaining('using the embedded PostgreSQL that npm start runs')]);
    expect(await graphql(first.url, '{ healthSummary { totalCustomers } }')).toEqual({ data: { healthSummary: { totalCustomers: 5 } } });
    expect(await first.stop()).toBe(0);

    // And while it is not running: the script starts the embedded database for the load, and stops it
    // (the same options: the database records the data set it was seeded with, and loads it again).
    const seededAlone = await run('npm', ['run', '-s', 'demo:seed', '--', '--customers', '4', '--days', '30'], env);
    expect([seededAlone.status, seededAlone.stdout]).toEqual([0, expect.stringContaining('starting the embedded PostgreSQL')]);

    const second = await startMain(env);
    expect(await graphql(second.url, '{ customer(id: "cust_kept") { name } }')).toEqual({ data: { customer: { name: 'Kept' } } });
    expect(await graphql(second.url, '{ healthSummary { totalCustomers } }')).toEqual({ data: { healthSummary: { totalCustomers: 5 } } });
    expect(await second.stop()).toBe(0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 420_000);
