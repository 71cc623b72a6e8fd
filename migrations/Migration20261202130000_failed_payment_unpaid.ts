import { Migration } from '@mikro-orm/migrations';

/**
 * A FAILED payment has no `paid_at`: a payment recorded paid and then failed is not paid. Payments
 * stored otherwise before the rule lose the date.
 */
export class Migration20261202130000_failed_payment_unpaid extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "payment" set "paid_at" = null where "status" = 'FAILED' and "paid_at" is not null;`);
    this.addSql(`alter table "payment" add constraint "payment_failed_unpaid" check (((status <> 'FAILED') OR (paid_at IS NULL)));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "payment" drop constraint "payment_failed_unpaid";`);
  }
}
