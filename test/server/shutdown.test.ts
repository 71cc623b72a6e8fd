// `npm start` as a user runs it: migrations on start, the playground URL printed, and a graceful
// shutdown on SIGTERM that closes open WebSocket subscriptions and exits 0.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createTestDatabase, TestDatabase } from '../support/database';
import { REDIS_URL } from '../support/server';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('shutdown');
});
afterAll(() => database.drop());

it('starts, prints the playground URL, and drains HTTP and WebSockets on SIGTERM', async () => {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: database.url, REDIS_URL, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SCORING_INTERVAL_MS: '0' },
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
  });
  expect(url).toMatch(/\/graphql$/);

  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined });
  const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
  const completed = new Promise<string>((resolve) => {
    client.subscribe({ query: 'subscription { healthTierChanged { id } }' }, { next: () => undefined, error: () => resolve('error'), complete: () => resolve('complete') });
  });
  await new Promise((resolve) => setTimeout(resolve, 300));

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await closed;
  expect(['complete', 'error']).toContain(await completed);
  await client.dispose();
}, 90_000);
