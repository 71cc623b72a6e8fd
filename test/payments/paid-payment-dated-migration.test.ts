// The migration that gives every payment recorded PAID its paid date dates those stored without one
// at their attempt, the date scoring read them paid at, and the table refuses one without it after.
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/database';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

let scratch: TestDatabase;
afterAll(async () => scratch?.drop());

it('dates a payment stored PAID without paidAt at its occurredAt, leaves the others as they are, then refuses one without', async () => {
  scratch = await createTestDatabase('paid_payment_dated_migration');
  const migrating = await MikroORM.init(ormOptions(scratch.url));
  try {
    const migrator = migrating.getMigrator();
    await migrator.up({ to: 'Migration20261206184450_tier_change_model_versions' });
    await sql(scratch, `insert into customer (id, name) values ('cust_a', 'A')`);
    await sql(
      scratch,
      `insert into payment (customer_id, external_id, amount_cents, currency, status, paid_at, occurred_at) values
         ('cust_a', 'undated', 100, 'USD', 'PAID', null, '2026-01-01T00:00:00Z'),
         ('cust_a', 'dated', 100, 'USD', 'PAID', '2026-01-03T00:00:00Z', '2026-01-02T00:00:00Z'),
         ('cust_a', 'failed', 100, 'USD', 'FAILED', null, '2026-01-04T00:00:00Z'),
         ('cust_a', 'refunded', 100, 'USD', 'REFUNDED', null, '2026-01-05T00:00:00Z')`,
    );
    await migrator.up();
  } finally {
    await migrating.close(true);
  }
  const payments = await sql<{ external_id: string; paid_at: Date | null }>(
    scratch,
    'select external_id, paid_at from payment order by occurred_at',
  );
  expect(payments.map((p) => [p.external_id, p.paid_at && p.paid_at.toISOString()])).toEqual([
    ['undated', '2026-01-01T00:00:00.000Z'],
    ['dated', '2026-01-03T00:00:00.000Z'],
    ['failed', null],
    ['refunded', null],
  ]);
  await expect(
    sql(
      scratch,
      `insert into payment (customer_id, amount_cents, currency, status, occurred_at) values ('cust_a', 1, 'USD', 'PAID', now())`,
    ),
  ).rejects.toMatchObject({ code: '23514', constraint: 'payment_paid_dated' });
});
