// The migration that starts the histories as-of scoring reads (Migration20261201030704) backfills
// them from the rows already stored: a database migrated up to the one before it, with data, then
// migrated to it.
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/database';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

const BEFORE = 'Migration20261130154134';
const HISTORIES = 'Migration20261201030704';

let database: TestDatabase;
let orm: MikroORM;

beforeAll(async () => {
  database = await createTestDatabase('history_backfill');
  orm = await MikroORM.init(ormOptions(database.url, 2));
  await orm.getMigrator().up({ to: BEFORE });
  await sql(
    database,
    `insert into customer (id, name, arr_cents, seats, signed_up_at, created_at) values
       ('cust_signed', 'Signed', 500000, 12, '2026-01-15T00:00:00Z', '2026-02-01T00:00:00Z'),
       ('cust_unsigned', 'Unsigned', 0, null, null, '2026-03-01T00:00:00Z')`,
  );
  await sql(
    database,
    `insert into support_ticket (customer_id, external_id, severity, status, opened_at, resolved_at, updated_at) values
       ('cust_signed', 'open', 'NORMAL', 'OPEN', '2026-04-01T00:00:00Z', null, '2026-04-01T00:00:00Z'),
       ('cust_signed', 'pending', 'NORMAL', 'PENDING', '2026-04-02T00:00:00Z', null, '2026-04-03T00:00:00Z'),
       ('cust_signed', 'solved', 'NORMAL', 'SOLVED', '2026-04-03T00:00:00Z', '2026-04-05T00:00:00Z', '2026-04-05T00:00:00Z'),
       ('cust_signed', 'solved_untimed', 'NORMAL', 'SOLVED', '2026-04-04T00:00:00Z', null, '2026-04-09T00:00:00Z')`,
  );
  await sql(
    database,
    `insert into engagement_event (customer_id, event_type, user_id, occurred_at) values
       ('cust_signed', 'login', 'u_2', '2026-05-01T08:00:00Z'),
       ('cust_signed', 'login', 'u_1', '2026-05-01T09:00:00Z'),
       ('cust_signed', 'login', 'u_2', '2026-05-01T10:00:00Z'),
       ('cust_signed', 'api_call', null, '2026-05-02T10:00:00Z')`,
  );
  // The rollup as ingestion kept it before this migration.
  await sql(
    database,
    `insert into engagement_day (customer_id, day, event_count, user_added_count, first_at, last_at, features)
     select customer_id, (occurred_at at time zone 'UTC')::date, count(*), 0, min(occurred_at), max(occurred_at), '{}'
     from engagement_event group by 1, 2`,
  );
  await orm.getMigrator().up({ to: HISTORIES });
});
afterAll(async () => {
  await orm.close(true);
  await database.drop();
});

describe(`${HISTORIES} backfills`, () => {
  it('one plan row per customer, as of its sign-up or else its creation', async () => {
    const rows = await sql(
      database,
      `select customer_id, arr_cents::float8 as arr, seats, changed_at from customer_plan_change order by customer_id`,
    );
    expect(rows).toEqual([
      { customer_id: 'cust_signed', arr: 500000, seats: 12, changed_at: new Date('2026-01-15T00:00:00Z') },
      { customer_id: 'cust_unsigned', arr: 0, seats: null, changed_at: new Date('2026-03-01T00:00:00Z') },
    ]);
  });

  it("each ticket's status at its opening, and a solved one's resolution", async () => {
    const rows = await sql<{ external_id: string; status: string; changed_at: Date }>(
      database,
      `select t.external_id, s.status, s.changed_at from support_ticket_status_change s join support_ticket t on t.id = s.ticket_id
       where s.customer_id = t.customer_id order by t.external_id, s.changed_at, s.id`,
    );
    expect(rows.map((row) => [row.external_id, row.status, row.changed_at.toISOString()])).toEqual([
      ['open', 'OPEN', '2026-04-01T00:00:00.000Z'],
      ['pending', 'PENDING', '2026-04-02T00:00:00.000Z'],
      ['solved', 'OPEN', '2026-04-03T00:00:00.000Z'],
      ['solved', 'SOLVED', '2026-04-05T00:00:00.000Z'],
      ['solved_untimed', 'OPEN', '2026-04-04T00:00:00.000Z'],
      ['solved_untimed', 'SOLVED', '2026-04-09T00:00:00.000Z'],
    ]);
  });

  it('the distinct users of each rollup day', async () => {
    const rows = await sql(database, `select day::text as day, user_ids from engagement_day order by day`);
    expect(rows).toEqual([
      { day: '2026-05-01', user_ids: ['u_1', 'u_2'] },
      { day: '2026-05-02', user_ids: [] },
    ]);
  });

  it('goes down and up again', async () => {
    await orm.getMigrator().down({ to: BEFORE });
    const [{ tables }] = await sql<{ tables: number }>(
      database,
      `select count(*)::int as tables from information_schema.tables where table_name in ('customer_plan_change', 'support_ticket_status_change')`,
    );
    expect(tables).toBe(0);
    await orm.getMigrator().up({ to: HISTORIES });
    const [{ plans }] = await sql<{ plans: number }>(database, 'select count(*)::int as plans from customer_plan_change');
    expect(plans).toBe(2);
  });
});
