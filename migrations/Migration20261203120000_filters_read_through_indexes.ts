import { Migration } from '@mikro-orm/migrations';

/** An index for each list filter (and changes-feed source) that read more of its table than it returned. */
export class Migration20261203120000_filters_read_through_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "audit_log_actor_at_idx" on "audit_log" ("actor", "at", "id");`);
    this.addSql(`create index "audit_log_action_at_idx" on "audit_log" ("action", "at", "id");`);
    this.addSql(
      `create index "engagement_event_customer_type_time_idx" on "engagement_event" ("customer_id", "event_type", "occurred_at", "id");`,
    );
    this.addSql(`create index "nps_response_detractor_time_idx" on "nps_response" ("responded_at") where "score" <= 6;`);
    this.addSql(`create index "outreach_action_playbook_time_idx" on "outreach_action" ("playbook", "created_at", "id");`);
    this.addSql(`create index "delivery_created_idx" on "delivery" ("created_at", "destination_id", "status");`);
    this.addSql(`create index "support_ticket_urgent_time_idx" on "support_ticket" ("opened_at") where "severity" in ('HIGH', 'URGENT');`);
    this.addSql(`create index "tier_change_live_time_idx" on "tier_change" ("changed_at", "id") where not "backfill";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "audit_log_actor_at_idx";`);
    this.addSql(`drop index "audit_log_action_at_idx";`);
    this.addSql(`drop index "engagement_event_customer_type_time_idx";`);
    this.addSql(`drop index "nps_response_detractor_time_idx";`);
    this.addSql(`drop index "outreach_action_playbook_time_idx";`);
    this.addSql(`drop index "delivery_created_idx";`);
    this.addSql(`drop index "support_ticket_urgent_time_idx";`);
    this.addSql(`drop index "tier_change_live_time_idx";`);
  }
}
