import { Migration } from '@mikro-orm/migrations';

/**
 * A payment recorded PAID has a paid date. One stored PAID without it was read as paid at its attempt
 * (scoring reads a payment made at its paid date, else its occurredAt), so that is the date it is given:
 * its answers show what scoring already read.
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
