import { Migration } from '@mikro-orm/migrations';

/**
 * A ticket is never resolved before it was opened, whichever calls set the two dates. NOT VALID: the
 * rule binds every write from now on without failing the migration on rows written before it.
 */
export class Migration20261202110000_ticket_resolution_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "support_ticket" add constraint "support_ticket_resolved_after_opened" check ("resolved_at" is null or "resolved_at" >= "opened_at") not valid;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "support_ticket" drop constraint "support_ticket_resolved_after_opened";`);
  }
}
