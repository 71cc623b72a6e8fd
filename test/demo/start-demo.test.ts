// `npm start -- --demo` as a user runs it: an empty database gets the demo data set before the
// service reports itself up (and the log says so); a database with customers is left alone.
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../helpers/database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('start_demo');
});
afterAll(() => database.drop());

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/** `npm start -- <args>` on the test database; resolves once the playground URL is printed. */
async function npmStart(args: string[]): Promise<Started> {
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: path.resolve(__dirname, '../..'),
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SCORING_INTERVAL_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 140_000);
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
  return { child, output: () => output, url };
}

async function stop(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.on('exit', (code) => resolve(code)));
  started.child.kill('SIGTERM');
  return exited;
}

async function customerFacts(url: string): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } tierChanges(first: 1) { totalCount } }' }),
  });
  return response.json();
}

it('loads the demo data set into an empty database, scored with history, and says so in the log', async () => {
  const started = await npmStart(['--demo', '--customers', '12', '--days', '30']);
  try {
    expect(started.output()).toContain('--demo: the database has no customers, loading the demo data set');
    expect(started.output()).toContain('Demo data loaded');
    const facts = (await customerFacts(started.url)) as {
      data: { customers: { totalCount: number }; tierChanges: { totalCount: number } };
    };
    expect(facts.data.customers.totalCount).toBe(12);
    // The history was scored: every customer got its first tier, at least.
    expect(facts.data.tierChanges.totalCount).toBeGreaterThanOrEqual(12);
  } finally {
    expect(await stop(started)).toBe(0);
  }
}, 150_000);

it('leaves a database that has customers alone', async () => {
  // Default size (2,000 customers) would be loaded into an empty database: this one already has 12.
  const started = await npmStart(['--demo']);
  try {
    expect(started.output()).toContain('--demo: the database already has 12 customers, demo data not loaded');
    expect(started.output()).not.toContain('Demo data loaded');
    expect(await customerFacts(started.url)).toMatchObject({ data: { customers: { totalCount: 12 } } });
  } finally {
    expect(await stop(started)).toBe(0);
  }
}, 150_000);

it('refuses an argument it does not know, saying what it takes', async () => {
  await expect(npmStart(['--demo', '--customer', '3'])).rejects.toThrow(/unknown argument "--customer"/);
}, 150_000);
