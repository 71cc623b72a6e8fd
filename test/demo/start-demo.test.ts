// `npm start -- --demo` as a user runs it: an empty database gets the demo data set before the
// service reports itself up (and the log says so); a database with customers is left alone.
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { serviceEnv, ServiceProcess, startServiceProcess } from '../helpers/service-process';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('start_demo');
});
afterAll(() => database.drop());

/** `npm start -- <args>` on the test database; resolves once the playground URL is printed. */
function npmStart(args: string[]): Promise<ServiceProcess> {
  return startServiceProcess(['npm', ['start', '--', ...args]], serviceEnv(database.url, { LOG_LEVEL: 'info' }), 140_000);
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
