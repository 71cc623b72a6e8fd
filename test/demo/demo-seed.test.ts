// The demo data set, generated small (40 customers, 45 days) and loaded through the services into a
// fresh database: each archetype's story is visible in the stored signals, scoring ranks the
// troubled accounts below the steady ones, and loading it again adds nothing.
import type { MikroORM } from '@mikro-orm/postgresql';
import { Archetype, ARCHETYPES, buildDemoDataSet, customerEvents, customerSignals, DemoDataSet } from '../../src/demo/demo-data';
import { DemoLoadSummary, loadDemoData, scoreDemoHistory } from '../../src/demo/load-demo-data';
import { readConfig } from '../../src/infra/config';
import type { AppServices } from '../../src/infra/context';
import { openDatabase } from '../../src/infra/database';
import { createLogger } from '../../src/infra/logger';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { Db, json, query, queryOne } from '../../src/infra/sql';
import { createTestDatabase, TestDatabase } from '../helpers/database';

const DAY = 86_400_000;
const CUSTOMERS = 40;
const DAYS = 45;

let database: TestDatabase;
let orm: MikroORM;
let db: Db;
let services: AppServices;
let dataSet: DemoDataSet;
let firstLoad: DemoLoadSummary;

function idsOf(archetype: Archetype): string[] {
  return dataSet.customers.filter((c) => c.archetype === archetype).map((c) => c.id);
}

async function tableCounts(): Promise<Record<string, number>> {
  const row = await queryOne<Record<string, number>>(
    db,
    `select (select count(*) from customer)::int as customers, (select count(*) from engagement_event)::int as events,
            (select count(*) from payment)::int as payments, (select count(*) from support_ticket)::int as tickets,
            (select count(*) from nps_response)::int as nps`,
  );
  return row as Record<string, number>;
}

async function averageScore(ids: string[]): Promise<number> {
  const row = await queryOne<{ average: number }>(db, 'select avg(health_score)::float8 as average from customer where id in (select jsonb_array_elements_text(?::jsonb))', [json(ids)]);
  return row?.average ?? Number.NaN;
}

beforeAll(async () => {
  database = await createTestDatabase('demo');
  orm = await openDatabase(database.url, 6);
  db = orm.em.fork() as Db;
  const config = readConfig({ LOG_LEVEL: 'silent', SCORING_INTERVAL_MS: '0' });
  services = { orm, pubsub: new InProcessPubSub(), logger: createLogger('silent'), config: { ...config, databaseUrl: database.url }, onSignals: [] };
  dataSet = buildDemoDataSet({ customers: CUSTOMERS, days: DAYS, seed: 7, now: new Date() });
  firstLoad = await loadDemoData(db, dataSet, { concurrency: 4 });
  await scoreDemoHistory(services, db, dataSet);
}, 60_000);

afterAll(async () => {
  await orm?.close();
  await database?.drop();
});

describe('the generator', () => {
  it('derives the same data set from the same seed and day, and another one from another seed', () => {
    const now = dataSet.window.now;
    const again = buildDemoDataSet({ customers: CUSTOMERS, days: DAYS, seed: 7, now });
    expect(again.customers).toEqual(dataSet.customers);
    expect(customerEvents(again, again.customers[3])).toEqual(customerEvents(dataSet, dataSet.customers[3]));
    expect(customerSignals(again, again.customers[5])).toEqual(customerSignals(dataSet, dataSet.customers[5]));
    const other = buildDemoDataSet({ customers: CUSTOMERS, days: DAYS, seed: 8, now });
    expect(other.customers.map((c) => c.archetype)).not.toEqual(dataSet.customers.map((c) => c.archetype));
  });

  it('gives every archetype at least one account, in proportions close to the configured shares', () => {
    for (const archetype of ARCHETYPES) expect(idsOf(archetype).length).toBeGreaterThanOrEqual(1);
    expect(idsOf('steady').length).toBe(16);
    expect(firstLoad.archetypes).toEqual(Object.fromEntries(ARCHETYPES.map((a) => [a, idsOf(a).length])));
  });
});

describe('the loaded data', () => {
  it('stores every customer with its profile', async () => {
    const rows = await query<{ id: string; plan: string; arrCents: number; optedOut: boolean; churnedAt: Date | null }>(
      db,
      'select id, plan, arr_cents::float8 as "arrCents", communication_opt_out as "optedOut", churned_at as "churnedAt" from customer order by id',
    );
    expect(rows.map((r) => r.id)).toEqual(dataSet.customers.map((c) => c.id).sort());
    expect(new Set(rows.map((r) => r.plan)).size).toBeGreaterThanOrEqual(3);
    expect(rows.filter((r) => r.churnedAt !== null).length).toBe(dataSet.customers.filter((c) => c.churnedAt).length);
    expect(rows.filter((r) => r.optedOut).length).toBe(firstLoad.optedOut);
    expect(firstLoad.churned).toBeGreaterThanOrEqual(1);
  });

  it('leaves the silent accounts without any activity for at least 10 days', async () => {
    const rows = await query<{ id: string; lastAt: Date | null; events: number }>(
      db,
      `select c.id, max(e.occurred_at) as "lastAt", count(e.id)::int as events from customer c left join engagement_event e on e.customer_id = c.id
       where c.id in (select jsonb_array_elements_text(?::jsonb)) group by c.id`,
      [json(idsOf('going_silent'))],
    );
    expect(rows).toHaveLength(idsOf('going_silent').length);
    for (const row of rows) {
      expect(row.events).toBeGreaterThan(0);
      expect(dataSet.window.now.getTime() - new Date(row.lastAt as Date).getTime()).toBeGreaterThanOrEqual(10 * DAY);
    }
  });

  it('gives failing-payment accounts FAILED payments in the last five weeks', async () => {
    const rows = await query<{ id: string; failed: number }>(
      db,
      `select c.id, count(p.id) filter (where p.status = 'FAILED' and p.occurred_at > ?::timestamptz)::int as failed
       from customer c left join payment p on p.customer_id = c.id where c.id in (select jsonb_array_elements_text(?::jsonb)) group by c.id`,
      [new Date(dataSet.window.now.getTime() - 35 * DAY).toISOString(), json(idsOf('failing_payments'))],
    );
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const row of rows) expect(row.failed).toBeGreaterThanOrEqual(1);
  });

  it('gives detractors NPS answers of 0–6 and poorly rated tickets', async () => {
    const rows = await query<{ id: string; maxNps: number | null; poorTickets: number }>(
      db,
      `select c.id, (select max(n.score) from nps_response n where n.customer_id = c.id)::int as "maxNps",
              (select count(*) from support_ticket t where t.customer_id = c.id and t.csat_rating <= 2)::int as "poorTickets"
       from customer c where c.id in (select jsonb_array_elements_text(?::jsonb))`,
      [json(idsOf('detractor'))],
    );
    for (const row of rows) {
      expect(row.maxNps).not.toBeNull();
      expect(row.maxNps).toBeLessThanOrEqual(6);
      expect(row.poorTickets).toBeGreaterThanOrEqual(2);
    }
  });

  it('has weekday-only accounts active on weekdays and never at weekends', async () => {
    const [row] = await query<{ weekend: number; weekday: number }>(
      db,
      `select count(*) filter (where extract(isodow from occurred_at at time zone 'UTC') in (6, 7))::int as weekend,
              count(*) filter (where extract(isodow from occurred_at at time zone 'UTC') between 1 and 5)::int as weekday
       from engagement_event where customer_id in (select jsonb_array_elements_text(?::jsonb))`,
      [json(idsOf('weekday_business'))],
    );
    expect(row.weekend).toBe(0);
    expect(row.weekday).toBeGreaterThan(0);
  });

  it('has growing accounts adding users and using the product more at the end than at the start', async () => {
    const now = dataSet.window.now.getTime();
    const [row] = await query<{ recent: number; early: number; added: number }>(
      db,
      `select count(*) filter (where occurred_at > ?::timestamptz)::int as recent,
              count(*) filter (where occurred_at <= ?::timestamptz)::int as early,
              count(*) filter (where event_type = 'user_added' and occurred_at > ?::timestamptz)::int as added
       from engagement_event where customer_id in (select jsonb_array_elements_text(?::jsonb))`,
      [new Date(now - 14 * DAY).toISOString(), new Date(dataSet.window.firstDayStartMs + 14 * DAY).toISOString(), new Date(now - 30 * DAY).toISOString(), json(idsOf('growing'))],
    );
    expect(row.recent).toBeGreaterThan(row.early);
    expect(row.added).toBeGreaterThanOrEqual(2 * idsOf('growing').length);
  });

  it('has recovering accounts quiet during their bad stretch and busy again after it', async () => {
    for (const customer of dataSet.customers.filter((c) => c.archetype === 'recovering')) {
      const stretch = customer.behaviour.badStretch as { from: number; to: number };
      const at = (day: number) => new Date(dataSet.window.firstDayStartMs + day * DAY).toISOString();
      const [row] = await query<{ during: number; after: number }>(
        db,
        `select count(*) filter (where occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz)::int as during,
                count(*) filter (where occurred_at >= ?::timestamptz)::int as after
         from engagement_event where customer_id = ?`,
        [at(stretch.from), at(stretch.to), at(stretch.to), customer.id],
      );
      const perDayDuring = row.during / Math.max(1, stretch.to - stretch.from);
      const perDayAfter = row.after / (DAYS - stretch.to);
      expect(perDayAfter).toBeGreaterThan(3 * perDayDuring);
    }
  });
});

describe('scoring the loaded data', () => {
  it('keeps 30 days of daily history plus the current score for every customer', async () => {
    const rows = await query<{ customerId: string; scores: number }>(db, 'select customer_id as "customerId", count(*)::int as scores from health_score group by customer_id');
    expect(rows).toHaveLength(CUSTOMERS);
    for (const row of rows) expect(row.scores).toBe(31);
  });

  it('scores silent and failing-payment accounts lower on average than steady ones', async () => {
    const steady = await averageScore(idsOf('steady'));
    expect(await averageScore(idsOf('going_silent'))).toBeLessThan(steady - 20);
    expect(await averageScore(idsOf('failing_payments'))).toBeLessThan(steady - 5);
    expect(await averageScore(idsOf('detractor'))).toBeLessThan(steady);
  });

  it('records a worsening tier change for silent accounts and marks cancelled ones churned', async () => {
    const [worsened] = await query<{ customers: number }>(
      db,
      `select count(distinct customer_id)::int as customers from tier_change where direction = 'WORSENED' and customer_id in (select jsonb_array_elements_text(?::jsonb))`,
      [json(idsOf('going_silent'))],
    );
    expect(worsened.customers).toBeGreaterThanOrEqual(1);
    const churned = await query<{ stage: string }>(db, 'select lifecycle_stage as stage from customer where churned_at is not null');
    expect(churned.map((r) => r.stage)).toEqual(churned.map(() => 'CHURNED'));
  });
});

describe('loading again', () => {
  it('adds no events, payments, tickets, NPS answers or history days', async () => {
    const before = await tableCounts();
    const historyBefore = await queryOne<{ n: number }>(db, 'select count(*)::int as n from health_score');
    const second = await loadDemoData(db, dataSet, { concurrency: 4 });
    expect(second.events.inserted).toBe(0);
    expect(second.events.duplicates).toBe(firstLoad.events.generated);
    expect(second.npsResponses.submitted).toBe(0);
    expect(await tableCounts()).toEqual(before);
    expect(before.events).toBe(firstLoad.events.inserted);

    const history = await scoreDemoHistory(services, db, dataSet);
    expect(history).toMatchObject({ runs: 1, skipped: 30 });
    const historyAfter = await queryOne<{ n: number }>(db, 'select count(*)::int as n from health_score');
    expect((historyAfter?.n ?? 0) - (historyBefore?.n ?? 0)).toBe(CUSTOMERS);
  });
});
