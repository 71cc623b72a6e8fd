// `npm start` as a user runs it: migrations on start, the playground URL printed, and a graceful
// shutdown on SIGTERM that closes open WebSocket subscriptions and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { REDIS_URL } from '../helpers/server';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('shutdown');
});
afterAll(() => database.drop());

/** Runs `npm start`'s entry point as a user would (NODE_ENV=production) and waits for its URL. */
async function startMain(
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<number | null>; exited: Promise<number | null> }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SCORING_INTERVAL_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      const match = /playground at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`exited before printing its URL:\n${output}`));
    });
  });
  return {
    url,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
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
    // The scripts use the running server's embedded database instead of failing on its data directory.
    const seeded = spawnSync('npm', ['run', '-s', 'demo:seed', '--', '--customers', '4', '--days', '30'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 150_000,
    });
    expect([seeded.status, seeded.stdout]).toEqual([0, expect.stringContaining('using the embedded PostgreSQL that npm start runs')]);
    expect(await graphql(first.url, '{ healthSummary { totalCustomers } }')).toEqual({ data: { healthSummary: { totalCustomers: 5 } } });
    expect(await first.stop()).toBe(0);

    // And while it is not running: the script starts the embedded database for the load, and stops it.
    const seededAlone = spawnSync('npm', ['run', '-s', 'demo:seed', '--', '--customers', '6', '--days', '30'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 150_000,
    });
    expect([seededAlone.status, seededAlone.stdout]).toEqual([0, expect.stringContaining('starting the embedded PostgreSQL')]);

    const second = await startMain(env);
    expect(await graphql(second.url, '{ customer(id: "cust_kept") { name } }')).toEqual({ data: { customer: { name: 'Kept' } } });
    expect(await graphql(second.url, '{ healthSummary { totalCustomers } }')).toEqual({ data: { healthSummary: { totalCustomers: 7 } } });
    expect(await second.stop()).toBe(0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 420_000);
