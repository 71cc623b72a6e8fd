// The demo data set a database holds is recorded when it is first loaded: a seed with the same
// options loads that same data set again (from the recorded instant, whatever the day) and rewrites
// nothing; a seed with other options, or into a database with customers of its own, is refused
// before it writes anything.
import type { MikroORM } from '@mikro-orm/postgresql';
import { upsertCustomer } from '../../src/customers/customer.service';
import { openDatabase } from '../../src/database';
import { seedDemo } from '../../src/demo/demo-seed-command';
import type { DemoSeedOptions } from '../../src/demo/demo-seed-record';
import { commandExitCode } from '../../src/infra/command-line';
import { readConfig } from '../../src/infra/config';
import { Db, query, queryOne } from '../../src/infra/sql';
import { createTestDatabase, TestDatabase } from '../helpers/database';

const DAY_MS = 86_400_000;
const OPTIONS = { customers: 12, days: 30, seed: 4 };
// As if the first seed had begun two days ago and been interrupted before it wrote a customer.
const ANCHOR = new Date(Date.now() - 2 * DAY_MS);

let database: TestDatabase;
let orm: MikroORM;
let db: Db;

function seed(options: DemoSeedOptions, lines: string[] = []): Promise<void> {
  const config = readConfig({ LOG_LEVEL: 'silent', SCORING_INTERVAL_MS: '0' });
  return seedDemo(orm, { ...config, databaseUrl: database.url }, database.url, options, (line) => lines.push(line));
}

interface Stored {
  customers: unknown[];
  planChanges: unknown[];
  counts: { runs: number; scores: number } & Record<string, number>;
  record: Record<string, unknown>;
}

/** Everything a seed writes, row by row where a rewrite would show, counted elsewhere. */
async function stored(): Promise<Stored> {
  return {
    customers: await query(db, 'select id, arr_cents::text as arr, seats, churned_at as "churnedAt" from customer order by id'),
    planChanges: await query(
      db,
      'select customer_id as "customerId", changed_at as "changedAt", arr_cents::text as arr, seats from customer_plan_change order by 1, 2, 3',
    ),
    counts: (await queryOne<Stored['counts']>(
      db,
      `select (select count(*) from engagement_event)::int as events, (select count(*) from payment)::int as payments,
              (select count(*) from support_ticket)::int as tickets, (select count(*) from nps_response)::int as nps,
              (select count(*) from scoring_run)::int as runs, (select count(*) from health_score)::int as scores`,
    ))!,
    record: (await queryOne(db, 'select customers, days, seed, anchored_at as "anchoredAt", loaded_at as "loadedAt" from demo_seed'))!,
  };
}

beforeAll(async () => {
  database = await createTestDatabase('demo_seed_record');
  orm = await openDatabase(database.url, 6);
  db = orm.em.fork() as Db;
  await query(db, 'insert into demo_seed (customers, days, seed, anchored_at) values (?, ?, ?, ?)', [
    OPTIONS.customers,
    OPTIONS.days,
    OPTIONS.seed,
    ANCHOR.toISOString(),
  ]);
});
afterAll(async () => {
  await orm?.close();
  await database?.drop();
});

it('loads the data set the database was first seeded with, ending at the recorded instant, not today', async () => {
  const lines: string[] = [];
  await seed(OPTIONS, lines);
  expect(lines[0]).toContain(`ending ${ANCHOR.toISOString()}`);
  const latest = await queryOne<{ event: Date; planChange: Date }>(
    db,
    'select (select max(occurred_at) from engagement_event) as event, (select max(changed_at) from customer_plan_change) as "planChange"',
  );
  expect(new Date(latest!.event).getTime()).toBeLessThanOrEqual(ANCHOR.getTime());
  expect(new Date(latest!.planChange).getTime()).toBeLessThanOrEqual(ANCHOR.getTime());
  const record = await queryOne<{ loadedAt: Date | null }>(db, 'select loaded_at as "loadedAt" from demo_seed');
  expect(record?.loadedAt).not.toBeNull();
}, 120_000);

it('rewrites nothing when run again with the same options: no plan change dated now, no second event', async () => {
  const before = await stored();
  await seed(OPTIONS);
  const after = await stored();
  // One scoring run more, as of now (the history days are already scored): one current score per customer.
  expect(new Date(after.record.loadedAt as string).getTime()).toBeGreaterThan(new Date(before.record.loadedAt as string).getTime());
  expect(after).toEqual({
    ...before,
    counts: { ...before.counts, runs: before.counts.runs + 1, scores: before.counts.scores + OPTIONS.customers },
    record: { ...before.record, loadedAt: after.record.loadedAt },
  });
}, 120_000);

it.each([
  ['more days', { ...OPTIONS, days: 60 }],
  ['more customers', { ...OPTIONS, customers: 14 }],
  ['another seed', { ...OPTIONS, seed: 5 }],
])(
  'refuses %s up front, naming the options it was seeded with, and writes nothing',
  async (_, options) => {
    const before = await stored();
    const refusal = await seed(options).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(commandExitCode(refusal)).toBe(2);
    expect((refusal as Error).message).toMatch(
      /^the database was seeded with --customers 12 --days 30 --seed 4 \(signals ending [^)]+\), not --customers \d+ --days \d+ --seed \d+: .*run with those, or seed a fresh database/,
    );
    expect((refusal as Error).message).not.toContain('\n');
    expect(await stored()).toEqual(before);
  },
  60_000,
);

it('seeds a database holding customers of its own beside them, and records the data set', async () => {
  const other = await createTestDatabase('demo_seed_beside');
  const otherOrm = await openDatabase(other.url, 4);
  try {
    const otherDb = otherOrm.em.fork() as Db;
    await upsertCustomer(otherDb, null, { id: 'cust_own', name: 'Own Customer' }, { mayReadStored: true });
    const config = readConfig({ LOG_LEVEL: 'silent', SCORING_INTERVAL_MS: '0' });
    await seedDemo(otherOrm, { ...config, databaseUrl: other.url }, other.url, OPTIONS, () => undefined);
    const counts = await queryOne(
      otherDb,
      `select (select count(*) from customer where id = 'cust_own')::int as own,
              (select count(*) from customer where id like 'cust\\_demo\\_%')::int as demo, (select count(*) from demo_seed)::int as records`,
    );
    expect(counts).toEqual({ own: 1, demo: OPTIONS.customers, records: 1 });
  } finally {
    await otherOrm.close();
    await other.drop();
  }
}, 120_000);

it('refuses a database holding demo customers but no record (a demo of an earlier release), and writes nothing', async () => {
  const other = await createTestDatabase('demo_seed_foreign');
  const otherOrm = await openDatabase(other.url, 4);
  try {
    const otherDb = otherOrm.em.fork() as Db;
    await upsertCustomer(otherDb, null, { id: 'cust_demo_0001', name: 'Demo Customer' }, { mayReadStored: true });
    const config = readConfig({ LOG_LEVEL: 'silent', SCORING_INTERVAL_MS: '0' });
    const refusal = await seedDemo(otherOrm, { ...config, databaseUrl: other.url }, other.url, OPTIONS, () => undefined).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(commandExitCode(refusal)).toBe(2);
    expect((refusal as Error).message).toMatch(/^the database has 1 demo customers and no record of the demo seed .*seed a fresh database/);
    const counts = await queryOne(
      otherDb,
      'select (select count(*) from customer)::int as customers, (select count(*) from demo_seed)::int as records',
    );
    expect(counts).toEqual({ customers: 1, records: 0 });
  } finally {
    await otherOrm.close();
    await other.drop();
  }
}, 60_000);
