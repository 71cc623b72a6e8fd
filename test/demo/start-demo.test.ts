// `npm start -- --demo` as a user runs it: an empty database gets the demo data set before the
// service reports itself up (and the log says so); one that holds it, or customers of its own, is
// left alone; a load that was interrupted is finished; other options than the database was seeded
// with are refused, as `npm run demo:seed` refuses them.
import { spawn } from 'node:child_process';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { PROJECT_ROOT, serviceEnv, ServiceProcess, startServiceProcess } from '../helpers/service-process';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('start_demo');
});
afterAll(() => database.drop());

/** `npm start -- <args>` on the test database; resolves once the playground URL is printed. */
function npmStart(args: string[]): Promise<ServiceProcess> {
  return startServiceProcess(['npm', ['start', '--', ...args]], serviceEnv(database.url, { LOG_LEVEL: 'info' }), 140_000);
}

/** `npm start -- <args>` that is expected to exit before it serves: its exit code and what it printed. */
function npmStartExit(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: PROJECT_ROOT,
    env: serviceEnv(database.url),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

function stop(started: ServiceProcess): Promise<number | null> {
  started.child.kill('SIGTERM');
  return started.exited;
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

it('leaves a database that holds the demo data set it asks for alone', async () => {
  const started = await npmStart(['--demo', '--customers', '12', '--days', '30']);
  try {
    expect(started.output()).toContain(
      '--demo: the database already holds this demo data set (--customers 12 --days 30 --seed 1), demo data not loaded',
    );
    expect(started.output()).not.toContain('Demo data loaded');
  } finally {
    expect(await stop(started)).toBe(0);
  }
}, 150_000);

it('refuses other options than the database was seeded with (exit code 2), writing nothing and serving nothing', async () => {
  const [before] = await sql<{ runs: number }>(database, 'select count(*)::int as runs from scoring_run');
  // The defaults (2,000 customers over 180 days) would rewrite the 12 customers' history.
  const { code, output } = await npmStartExit(['--demo']);
  expect(code).toBe(2);
  expect(output.trim().split('\n').at(-1)).toMatch(
    /^the database was seeded with --customers 12 --days 30 --seed 1 \(signals ending [^)]+\), not --customers 2000 --days 180 --seed 1: .*seed a fresh database/,
  );
  expect(output).not.toContain('playground at');
  expect(await sql(database, 'select count(*)::int as runs from scoring_run')).toEqual([before]);
}, 150_000);

it('finishes a load of the demo data set that was interrupted', async () => {
  await sql(database, 'update demo_seed set loaded_at = null');
  const started = await npmStart(['--demo', '--customers', '12', '--days', '30']);
  try {
    expect(started.output()).toContain('--demo: the last load of this demo data set did not finish, loading it again');
    expect(started.output()).toContain('Demo data loaded');
    expect(await sql(database, 'select count(*)::int as n from demo_seed where loaded_at is not null')).toEqual([{ n: 1 }]);
  } finally {
    expect(await stop(started)).toBe(0);
  }
}, 150_000);

it('leaves a database with customers but no record of a demo seed alone (its own data, or a demo of an earlier release)', async () => {
  await sql(database, 'delete from demo_seed');
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
