// The demo data set, generated small (48 customers, 120 days) and loaded through the services into a
// fresh database: profiles, churn labels and plan histories are stored, each story is visible in the
// stored signals, scoring keeps a history, and loading it again adds nothing.
import type { MikroORM } from '@mikro-orm/postgresql';
import { Archetype, ARCHETYPES, CHURN_ARCHETYPES } from '../../src/demo/demo-archetypes';
import { buildDemoDataSet, DemoDataSet } from '../../src/demo/demo-data';
import { customerEvents } from '../../src/demo/demo-signals';
import { DemoLoadSummary, loadDemoData, scoreDemoHistory } from '../../src/demo/load-demo-data';
import { readConfig } from '../../src/infra/config';
import type { CoreServices } from '../../src/context';
import { openDatabase } from '../../src/database';
import { createLogger } from '../../src/infra/logger';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { Db, json, query, queryOne } from '../../src/infra/sql';
import { createTestDatabase, TestDatabase } from '../helpers/database';

const DAY = 86_400_000;
const CUSTOMERS = 48;
const DAYS = 120;

let database: TestDatabase;
let orm: MikroORM;
let db: Db;
let services: CoreServices;
let dataSet: DemoDataSet;
let firstLoad: DemoLoadSummary;

function idsOf(...archetypes: Archetype[]): string[] {
  return dataSet.customers.filter((c) => archetypes.includes(c.archetype)).map((c) => c.id);
}

async function tableCounts(): Promise<Record<string, number>> {
  const row = await queryOne<Record<string, number>>(
    db,
    `select (select count(*) from customer)::int as customers, (select count(*) from engagement_event)::int as events,
            (select count(*) from payment)::int as payments, (select count(*) from support_ticket)::int as tickets,
            (select count(*) from nps_response)::int as nps, (select count(*) from customer_plan_change)::int as "planChanges"`,
  );
  return row as Record<string, number>;
}

beforeAll(async () => {
  database = await createTestDatabase('demo');
  orm = await openDatabase(database.url, 6);
  db = orm.em.fork() as Db;
  const config = readConfig({ LOG_LEVEL: 'silent', SCORING_INTERVAL_MS: '0' });
  services = {
    orm,
    pubsub: new InProcessPubSub(),
    logger: createLogger('silent'),
    config: { ...config, databaseUrl: database.url },
    onModelActivated: [],
    onFullRunLockLost: [],
  };
  dataSet = buildDemoDataSet({ customers: CUSTOMERS, days: DAYS, seed: 7, now: new Date() });
  firstLoad = await loadDemoData(db, dataSet, { concurrency: 4 });
  await scoreDemoHistory(services, db, dataSet);
}, 120_000);

afterAll(async () => {
  await orm?.close();
  await database?.drop();
});

describe('the loaded data', () => {
  it('has every archetype, and reports their counts', () => {
    for (const archetype of ARCHETYPES) expect(idsOf(archetype).length).toBeGreaterThanOrEqual(1);
    expect(firstLoad.archetypes).toEqual(Object.fromEntries(ARCHETYPES.map((a) => [a, idsOf(a).length])));
  });

  it('stores every customer with its profile, and the churners with their churn date and reason', async () => {
    const rows = await query<{ id: string; plan: string; optedOut: boolean; churnedAt: Date | null; churnReason: string | null }>(
      db,
      'select id, plan, communication_opt_out as "optedOut", churned_at as "churnedAt", churn_reason as "churnReason" from customer order by id',
    );
    expect(rows.map((r) => r.id)).toEqual(dataSet.customers.map((c) => c.id).sort());
    expect(new Set(rows.map((r) => r.plan)).size).toBeGreaterThanOrEqual(3);
    expect(rows.filter((r) => r.optedOut).length).toBe(firstLoad.optedOut);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const customer of dataSet.customers) {
      const row = byId.get(customer.id)!;
      expect(row.churnedAt === null ? null : new Date(row.churnedAt).getTime()).toBe(customer.churnedAt?.getTime() ?? null);
      expect(row.churnReason).toBe(customer.churnReason);
    }
    expect(firstLoad.churned).toBe(idsOf(...CHURN_ARCHETYPES).length);
  });

  it("keeps each customer's plan history: the plan at signup, then every change when it happened", async () => {
    const rows = await query<{ customerId: string; seats: number; arrCents: number; changedAt: Date }>(
      db,
      `select customer_id as "customerId", seats, arr_cents::float8 as "arrCents", changed_at as "changedAt"
       from customer_plan_change order by customer_id, changed_at, id`,
    );
    const current = await query<{ id: string; seats: number; arrCents: number }>(
      db,
      'select id, seats, arr_cents::float8 as "arrCents" from customer',
    );
    const currentById = new Map(current.map((r) => [r.id, r]));
    for (const customer of dataSet.customers) {
      const history = rows
        .filter((r) => r.customerId === customer.id)
        .map((r) => ({ at: new Date(r.changedAt), seats: r.seats, arrCents: r.arrCents }));
      expect(history).toEqual([{ at: customer.signedUpAt, seats: customer.seats, arrCents: customer.arrCents }, ...customer.planChanges]);
      const last = customer.planChanges.at(-1) ?? customer;
      expect(currentById.get(customer.id)).toMatchObject({ seats: last.seats, arrCents: last.arrCents });
    }
    expect(firstLoad.planChanges).toBe(dataSet.customers.reduce((n, c) => n + c.planChanges.length, 0));
    expect(firstLoad.planChanges).toBeGreaterThanOrEqual(1);
  });

  it("names a user on every event but an integration's calls, and stores nothing of a churner after its churn", async () => {
    const unnamed = await query<{ eventType: string; n: number }>(
      db,
      'select event_type as "eventType", count(*)::int as n from engagement_event where user_id is null group by 1',
    );
    expect(unnamed.map((row) => row.eventType)).toEqual(['api_call']);
    expect(unnamed[0].n).toBeGreaterThan(0);
    const [after] = await query<{ events: number; payments: number; tickets: number; nps: number }>(
      db,
      `select (select count(*) from engagement_event e join customer c on c.id = e.customer_id where e.occurred_at >= c.churned_at)::int as events,
              (select count(*) from payment p join customer c on c.id = p.customer_id where p.occurred_at >= c.churned_at)::int as payments,
              (select count(*) from support_ticket t join customer c on c.id = t.customer_id where t.opened_at >= c.churned_at or t.resolved_at > c.churned_at)::int as tickets,
              (select count(*) from nps_response n join customer c on c.id = n.customer_id where n.responded_at >= c.churned_at)::int as nps`,
    );
    expect(after).toEqual({ events: 0, payments: 0, tickets: 0, nps: 0 });
    const [churnerEvents] = await query<{ n: number }>(
      db,
      'select count(*)::int as n from engagement_event where customer_id in (select jsonb_array_elements_text(?::jsonb))',
      [json(idsOf(...CHURN_ARCHETYPES))],
    );
    expect(churnerEvents.n).toBeGreaterThan(0);
  });

  it('records a ticket solved after it opened as open until its resolution', async () => {
    const rows = await query<{ resolvedAt: Date; solvedAt: Date | null; openedAt: Date; firstStatus: string }>(
      db,
      `select t.resolved_at as "resolvedAt", t.opened_at as "openedAt",
              (select min(s.changed_at) from support_ticket_status_change s where s.ticket_id = t.id and s.status = 'SOLVED') as "solvedAt",
              (select s.status from support_ticket_status_change s where s.ticket_id = t.id order by s.changed_at, s.id limit 1) as "firstStatus"
       from support_ticket t where t.status = 'SOLVED'`,
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      expect(row.firstStatus).toBe('OPEN');
      expect(new Date(row.solvedAt as Date).getTime()).toBe(new Date(row.resolvedAt).getTime());
    }
    expect(rows.filter((r) => new Date(r.resolvedAt).getTime() - new Date(r.openedAt).getTime() >= 2 * DAY).length).toBeGreaterThan(0);
  });

  it('has weekday-only and low-cadence accounts never active at weekends', async () => {
    const [row] = await query<{ weekend: number; weekday: number }>(
      db,
      `select count(*) filter (where extract(isodow from occurred_at at time zone 'UTC') in (6, 7))::int as weekend,
              count(*) filter (where extract(isodow from occurred_at at time zone 'UTC') between 1 and 5)::int as weekday
       from engagement_event where customer_id in (select jsonb_array_elements_text(?::jsonb))`,
      [json(idsOf('weekday_business', 'steady_low_cadence'))],
    );
    expect(row.weekend).toBe(0);
    expect(row.weekday).toBeGreaterThan(0);
  });

  it('gives payment_trouble accounts failed charges and no payment after their onset', async () => {
    for (const customer of dataSet.customers.filter((c) => c.archetype === 'payment_trouble')) {
      const rows = await query<{ status: string }>(
        db,
        'select status from payment where customer_id = ? and due_at >= ? order by occurred_at',
        [customer.id, customer.signalOnsetAt!.toISOString()],
      );
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'FAILED'));
    }
  });

  it('has recovering accounts quiet during their bad stretch and busy again after it', async () => {
    for (const customer of dataSet.customers.filter((c) => c.archetype === 'recovering')) {
      const stretch = customer.behaviour.badStretch!;
      const at = (day: number) => new Date(dataSet.window.firstDayStartMs + day * DAY).toISOString();
      const [row] = await query<{ during: number; after: number }>(
        db,
        `select count(*) filter (where occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz)::int as during,
                count(*) filter (where occurred_at >= ?::timestamptz)::int as after
         from engagement_event where customer_id = ?`,
        [at(stretch.from), at(stretch.to), at(stretch.to), customer.id],
      );
      expect(row.after / (DAYS - stretch.to)).toBeGreaterThan(3 * (row.during / Math.max(1, stretch.to - stretch.from)));
    }
  });

  it('stores exactly the generated events', async () => {
    const generated = dataSet.customers.reduce((n, c) => n + customerEvents(dataSet, c).length, 0);
    expect(firstLoad.events).toMatchObject({ generated, inserted: generated, duplicates: 0 });
  });
});

describe('scoring the loaded data', () => {
  it('keeps 30 days of daily history plus the current score for every customer, from its signup on', async () => {
    const rows = await query<{ customerId: string; scores: number }>(
      db,
      'select customer_id as "customerId", count(*)::int as scores from health_score group by customer_id',
    );
    expect(rows).toHaveLength(CUSTOMERS);
    const now = dataSet.window.now.getTime();
    const scoresById = new Map(rows.map((r) => [r.customerId, r.scores]));
    for (const customer of dataSet.customers) {
      const pastDays = Array.from({ length: 30 }, (_, i) => now - (i + 1) * DAY).filter(
        (asOf) => asOf >= customer.signedUpAt.getTime(),
      ).length;
      expect(scoresById.get(customer.id)).toBe(pastDays + 1);
    }
    expect(Math.min(...scoresById.values())).toBeLessThan(31);
  });

  it('marks the customers who cancelled as churned', async () => {
    const churned = await query<{ id: string; stage: string }>(
      db,
      'select id, lifecycle_stage as stage from customer where churned_at is not null order by id',
    );
    expect(churned.map((r) => r.id)).toEqual(idsOf(...CHURN_ARCHETYPES).sort());
    expect(churned.map((r) => r.stage)).toEqual(churned.map(() => 'CHURNED'));
  });
});

describe('loading again', () => {
  it('adds no events, payments, tickets, NPS answers, plan changes or history days', async () => {
    const before = await tableCounts();
    const historyBefore = await queryOne<{ n: number }>(db, 'select count(*)::int as n from health_score');
    const second = await loadDemoData(db, dataSet, { concurrency: 4 });
    expect(second.events.inserted).toBe(0);
    expect(second.events.duplicates).toBe(firstLoad.events.generated);
    expect(second.npsResponses.submitted).toBe(0);
    expect(second.planChanges).toBe(0);
    expect(await tableCounts()).toEqual(before);
    expect(before.events).toBe(firstLoad.events.inserted);

    const history = await scoreDemoHistory(services, db, dataSet);
    expect(history).toMatchObject({ runs: 1, skipped: 30 });
    const historyAfter = await queryOne<{ n: number }>(db, 'select count(*)::int as n from health_score');
    // The one run is as of the present: each customer's current score, no second point on a past day.
    expect((historyAfter?.n ?? 0) - (historyBefore?.n ?? 0)).toBe(CUSTOMERS);
  });
});

describe('the last run', () => {
  it('is live as of the real now, however long loading took: not a silent backfill as of when the seed began', async () => {
    // The data set of a seed that began 20 minutes ago: a load that slow, whatever the machine.
    const begunEarlier = buildDemoDataSet({ ...dataSet.options, now: new Date(Date.now() - 20 * 60_000) });
    const before = new Date();
    await scoreDemoHistory(services, db, begunEarlier, { historyDays: 1 });
    const last = await queryOne<{ asOf: Date; backfill: boolean; status: string }>(
      db,
      'select as_of as "asOf", backfill, status from scoring_run order by started_at desc, id desc limit 1',
    );
    // Not a backfill: its tier changes are published and its outreach decided, as the README's "Run it" says.
    expect(last).toMatchObject({ backfill: false, status: 'SUCCEEDED' });
    expect(new Date(last!.asOf).getTime()).toBeGreaterThanOrEqual(before.getTime());
  });
});
