import { Migration } from '@mikro-orm/migrations';

/**
 * A ticket is never resolved before it was opened, whichever calls set the two dates. Tickets
 * written before the rule with a resolution before their opening are taken as opened at their
 * resolution (the earliest opening their dates allow), as the service now takes a ticket received
 * resolved without its opening.
 */
export class Migration20261202110000_ticket_resolution_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "support_ticket" set "opened_at" = "resolved_at" where "resolved_at" < "opened_at";`);
    this.addSql(
      `alter table "support_ticket" add constraint "support_ticket_resolved_after_opened" check (((resolved_at IS NULL) OR (resolved_at >= opened_at)));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "support_ticket" drop constraint "support_ticket_resolved_after_opened";`);
  }
}
