import { Migration } from '@mikro-orm/migrations';

/**
 * A ticket sent SOLVED without `resolvedAt` was stored without a resolution, though its status history
 * records when it was solved: it now reads as resolved then (new writes record it so).
 */
export class Migration20261203130000_solved_tickets_resolved extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "support_ticket" t set "resolved_at" = greatest(t."opened_at", solved."changed_at")
      from (select "ticket_id", max("changed_at") as "changed_at" from "support_ticket_status_change"
            where "status" = 'SOLVED' group by "ticket_id") solved
      where solved."ticket_id" = t."id" and t."status" = 'SOLVED' and t."resolved_at" is null;`);
  }

  override async down(): Promise<void> {
    // The resolutions filled in cannot be told from those sent: they stay.
  }
}
