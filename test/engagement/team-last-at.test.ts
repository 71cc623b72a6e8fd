// The time of each rollup day's last event that names a user (engagement_day.team_last_at), which the
// silence of an account with a team rhythm is read from: kept by the statement that stores the
// events, and filled by its migration for the days stored before it.
import { MikroORM } from '@mikro-orm/postgresql';
import { upsertCustomer } from '../../src/customers/customer.service';
import { ormOptions } from '../../src/database';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import { Db } from '../../src/infra/sql';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

let scratch: TestDatabase;
let orm: MikroORM;
beforeAll(async () => {
  scratch = await createTestDatabase('team_last_at');
  orm = await MikroORM.init(ormOptions(scratch.url));
});
afterAll(async () => {
  await orm?.close(true);
  await scratch?.drop();
});

/** The rollup's team_last_at by customer and UTC day. */
async function teamLastAt(customerId: string): Promise<Record<string, string | null>> {
  const rows = await sql<{ day: string; team_last_at: Date | null }>(
    scratch,
    'select day::text as day, team_last_at from engagement_day where customer_id = $1 order by day',
    [customerId],
  );
  return Object.fromEntries(rows.map((row) => [row.day, row.team_last_at?.toISOString() ?? null]));
}

it('fills the days stored before the migration from their events that name a user', async () => {
  const migrator = orm.getMigrator();
  await migrator.up({ to: 'Migration20261207110500_outreach_message_cut' });
  await sql(scratch, `insert into customer (id, name) values ('cust_before', 'cust_before')`);
  const events: Array<[string | null, string]> = [
    ['u1', '2026-11-01T09:00:00Z'],
    ['u2', '2026-11-01T15:00:00Z'],
    [null, '2026-11-01T22:00:00Z'],
    [null, '2026-11-02T03:00:00Z'],
    ['u1', '2026-11-03T23:59:59.999Z'],
  ];
  for (const [userId, at] of events)
    await sql(
      scratch,
      `insert into engagement_event (customer_id, event_type, user_id, occurred_at) values ('cust_before', 'login', $1, $2)`,
      [userId, at],
    );
  await sql(
    scratch,
    `insert into engagement_day (customer_id, day, event_count, user_added_count, first_at, last_at, features, user_ids)
     select customer_id, (occurred_at at time zone 'UTC')::date, count(*), 0, min(occurred_at), max(occurred_at), '{}',
            coalesce(array_agg(distinct user_id) filter (where user_id is not null), '{}')
     from engagement_event group by 1, 2`,
  );
  await migrator.up();
  expect(await teamLastAt('cust_before')).toEqual({
    '2026-11-01': '2026-11-01T15:00:00.000Z',
    '2026-11-02': null,
    '2026-11-03': '2026-11-03T23:59:59.999Z',
  });
});

it("keeps the latest event that names a user as events arrive, in any order and across statements, and none on an integration's days", async () => {
  const db = () => orm.em.fork() as Db;
  await upsertCustomer(db(), null, { id: 'cust_after', name: 'cust_after' }, { mayReadStored: true });
  const event = (userId: string | null, occurredAt: string) => ({
    customerId: 'cust_after',
    eventType: 'login',
    userId,
    occurredAt: new Date(occurredAt),
  });
  const batches = [
    [event('u1', '2026-11-05T12:00:00Z'), event(null, '2026-11-05T20:00:00Z'), event(null, '2026-11-06T10:00:00Z')],
    [event('u2', '2026-11-05T09:00:00Z'), event(null, '2026-11-06T11:00:00Z')],
    [event('u3', '2026-11-05T13:30:00Z'), event('u1', '2026-11-07T08:00:00Z')],
  ];
  for (const batch of batches) expect((await trackEngagementBatch(db(), null, batch)).errors).toEqual([]);
  expect(await teamLastAt('cust_after')).toEqual({
    '2026-11-05': '2026-11-05T13:30:00.000Z',
    '2026-11-06': null,
    '2026-11-07': '2026-11-07T08:00:00.000Z',
  });
});
