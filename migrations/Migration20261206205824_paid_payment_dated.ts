import { Migration } from '@mikro-orm/migrations';

/**
 * A payment recorded PAID has a paid date. One stored PAID without it was read as paid at its attempt
 * (scoring reads a payment made at its paid date, else its occurredAt), so that is the date it is given:
 * its answers show what scoring already read. The check is added validated, in one statement: adding
 * it NOT VALID and validating it after would not shorten the exclusive lock, since the pending
 * migrations run in one transaction (allOrNothing), which holds the lock of the ADD until it commits.
 * What it means for the instances of an earlier release still running: README, "Upgrading: migrations and a rolling deploy".
 */
export class Migration20261206205824_paid_payment_dated extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "payment" set "paid_at" = "occurred_at" where "status" = 'PAID' and "paid_at" is null;`);
    this.addSql(`alter table "payment" add constraint payment_paid_dated check(((status <> 'PAID') OR (paid_at IS NOT NULL)));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "payment" drop constraint payment_paid_dated;`);
  }
}
