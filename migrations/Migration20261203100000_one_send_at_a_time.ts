import { Migration } from '@mikro-orm/migrations';

/** A delivery an attempt is sending is taken by it (`sending_since`): no second attempt sends it at once. */
export class Migration20261203100000_one_send_at_a_time extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "delivery" add column "sending_since" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "delivery" drop column "sending_since";`);
  }
}
